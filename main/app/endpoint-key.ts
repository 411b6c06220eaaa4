import fs from 'node:fs';
import path from 'node:path';

/**
 * What the OS keychain offers, as plain functions so this can be tested without Electron
 * (main.ts passes Electron's safeStorage).
 */
export interface SecretBox {
  /** Why secrets cannot be kept safely here (no keychain, or Linux's plain-text fallback), or null. */
  unavailableReason(): string | null;
  encrypt(text: string): Buffer;
  decrypt(sealed: Buffer): string;
}

/**
 * The OpenAI-compatible endpoint's API key, kept by the desktop app: encrypted by the OS keychain
 * in one file under the app's user data folder, never in a library database and never in clear.
 * The engine gets it in memory only (`ask.useKey`) each time it starts.
 */
export class EndpointKeyStore {
  constructor(
    private readonly file: string,
    private readonly box: SecretBox,
  ) {}

  /** The stored key, or null (none stored, keychain unavailable, or the file cannot be decrypted any more). */
  read(): string | null {
    if (this.box.unavailableReason() !== null) return null;
    let sealed: Buffer;
    try {
      sealed = fs.readFileSync(this.file);
    } catch {
      return null;
    }
    try {
      return this.box.decrypt(sealed);
    } catch {
      // The keychain changed (another user, a reset): the key is lost; the user types it again.
      return null;
    }
  }

  /** Stores the key (or forgets it with null). Refuses, saying why, where it could only be kept in clear. */
  write(key: string | null): void {
    if (key === null) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    const reason = this.box.unavailableReason();
    if (reason !== null) throw new Error(`${reason}; set IRIS_ENDPOINT_API_KEY in the environment instead`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, this.box.encrypt(key), { mode: 0o600 });
    fs.renameSync(temporary, this.file);
  }
}
