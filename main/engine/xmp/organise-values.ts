/**
 * The values other photo apps write for stars, rejects and colour labels, and what they mean in
 * Iris. Pure string-to-value tables; organise.ts finds the properties and writes them.
 *
 * - xmp:Rating (XMP Specification Part 2, XMP basic namespace) is a Real: "-1 rejected, 0 unrated,
 *   1..5". Bridge and darktable write -1 for a reject (darktable: src/common/exif.cc, "rejected
 *   image = -1"). Lightroom Classic keeps its pick/reject flags in its catalog, not in XMP.
 * - MicrosoftPhoto:Rating is Windows' System.Rating percentage. Windows and digiKam write 1, 25, 50,
 *   75, 99 for one to five stars (digiKam: dmetadata_labels.cpp, setItemRating); Windows reads the
 *   ranges 1-12, 13-37, 38-62, 63-87, 88-99.
 * - xmp:Label is free text: an app shows a colour when the text is a name in its label set.
 *   Lightroom Classic ships "Lightroom Default" (Red, Yellow, Green, Blue, Purple) and "Review
 *   Status" (To Delete, Color Correction Needed, Good to Use, Retouching Needed, To Print); Bridge's
 *   default set is Select, Second, Approved, Review, To Do. digiKam writes the Lightroom names
 *   (dmetadata_labels.cpp, setItemColorLabel, KDE bug 358193).
 * - digiKam:ColorLabel is digiKam's number (0 none, 1 red, 2 orange, 3 yellow, 4 green, 5 blue,
 *   6 magenta, 7 gray, 8 black, 9 white), and digiKam reads it BEFORE xmp:Label; digiKam:PickLabel
 *   is 0 none, 1 rejected, 2 pending, 3 accepted.
 * - darktable:colorlabels is an rdf:Seq of darktable's numbers (0 red, 1 yellow, 2 green, 3 blue,
 *   4 purple; src/common/colorlabels.h); a photo may have several.
 */

/**
 * Iris's fixed colour labels (the same five as the organise store's ColourLabel; declared here so
 * the XMP code depends on no store).
 */
export type ColourLabel = 'red' | 'yellow' | 'green' | 'blue' | 'purple';

/** Stars and reject as one value: XMP keeps both in the one xmp:Rating. */
export interface Stars {
  /** 0..5 (0: "unrated" written explicitly), null when there is none. */
  rating: number | null;
  rejected: boolean;
}

/** A plain decimal ("3", "3.0", "-1"); not "", "0x3" or "1e0", which Number() would accept. */
const DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;

function decimal(value: string | undefined): number | undefined {
  const text = value?.trim();
  return text !== undefined && DECIMAL.test(text) ? Number(text) : undefined;
}

/** An xmp:Rating value; undefined for garbage and values out of range. */
export function starsOfXmpRating(value: string | undefined): Stars | undefined {
  const number = decimal(value);
  if (number === undefined) return undefined;
  if (number === -1) return { rating: null, rejected: true };
  // A Real in the spec: the nearest whole star (Iris keeps whole stars).
  if (number >= 0 && number <= 5) return { rating: Math.round(number), rejected: false };
  return undefined;
}

/** What Windows and digiKam write in MicrosoftPhoto:Rating for 0..5 stars. */
export const PERCENT_FOR_STARS: readonly number[] = [0, 1, 25, 50, 75, 99];

/** A MicrosoftPhoto:Rating percentage in stars, by Windows' ranges; undefined for garbage. */
export function starsOfPercent(value: string | undefined): number | undefined {
  const percent = decimal(value);
  if (percent === undefined || percent < 0 || percent > 100) return undefined;
  if (percent === 0) return 0;
  return percent <= 12 ? 1 : percent <= 37 ? 2 : percent <= 62 ? 3 : percent <= 87 ? 4 : 5;
}

interface ColourNames {
  /** The name Iris writes: Lightroom's default set, which digiKam writes and reads too. */
  name: string;
  /** Other names for the same colour in the label sets above (compared without case). */
  aliases: readonly string[];
  digiKam: number;
  darktable: number;
}

const COLOURS: Readonly<Record<ColourLabel, ColourNames>> = {
  red: { name: 'Red', aliases: ['Select', 'To Delete'], digiKam: 1, darktable: 0 },
  yellow: { name: 'Yellow', aliases: ['Second', 'Color Correction Needed'], digiKam: 3, darktable: 1 },
  green: { name: 'Green', aliases: ['Approved', 'Good to Use'], digiKam: 4, darktable: 2 },
  blue: { name: 'Blue', aliases: ['Review', 'Retouching Needed'], digiKam: 5, darktable: 3 },
  // digiKam calls its sixth colour Magenta, and writes it to xmp:Label as "Purple".
  purple: { name: 'Purple', aliases: ['To Do', 'To Print', 'Magenta'], digiKam: 6, darktable: 4 },
};

const COLOUR_LIST = Object.keys(COLOURS) as ColourLabel[];

/**
 * Which of Iris's colours an xmp:Label means, compared without case and surrounding spaces; null
 * for any other text (a custom label set, another language): the caller keeps the raw string.
 */
export function colourOfXmpLabel(label: string | null | undefined): ColourLabel | null {
  const key = label?.trim().toLowerCase();
  if (!key) return null;
  return COLOUR_LIST.find((colour) => [COLOURS[colour].name, ...COLOURS[colour].aliases].some((name) => name.toLowerCase() === key)) ?? null;
}

/** The xmp:Label text Iris writes for a colour ("Red"). */
export function xmpLabelOf(colour: ColourLabel): string {
  return COLOURS[colour].name;
}

/** digiKam's colour names by number, for a packet whose only label is digiKam:ColorLabel. */
const DIGIKAM_NAMES = ['', 'Red', 'Orange', 'Yellow', 'Green', 'Blue', 'Purple', 'Gray', 'Black', 'White'];

/** The label a digiKam:ColorLabel number stands for ("Orange" too: kept raw, as Iris has no orange); null for 0 and garbage. */
export function labelOfDigiKamNumber(value: string | undefined): string | null {
  const number = decimal(value);
  return number !== undefined && Number.isInteger(number) && number >= 1 && number <= 9 ? DIGIKAM_NAMES[number]! : null;
}

export function digiKamNumberOf(colour: ColourLabel): number {
  return COLOURS[colour].digiKam;
}

export function colourOfDarktableNumber(value: string | undefined): ColourLabel | null {
  const number = decimal(value);
  return COLOUR_LIST.find((colour) => COLOURS[colour].darktable === number) ?? null;
}

export function darktableNumberOf(colour: ColourLabel): number {
  return COLOURS[colour].darktable;
}
