import type { Command } from 'commander';
import { UsageError } from '../../engine/index.js';
import type { PersonSummary } from '../../engine/faces/face-store.js';
import { type CommandContext, emit, globals, withEngine } from '../context.js';

function personId(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} wants a person id (a whole number from \`iris people\`), not "${value}"`);
  return n;
}

function formatPeople(people: readonly PersonSummary[]): string {
  if (people.length === 0) return 'no people yet: faces are found while indexing when a face model is installed (`iris models list`, task faces)';
  return people.map((person) => `${String(person.id).padStart(5)}  ${(person.name ?? '(unnamed)').padEnd(24)} ${person.faces} face(s) in ${person.photos.length} photo(s)${person.hidden ? '  [hidden]' : ''}`).join('\n');
}

/** `iris people`: the people faces were grouped into, and naming, merging, splitting and hiding them. */
export function registerPeopleCommands(program: Command, context: CommandContext): void {
  const people = program
    .command('people')
    .description('the people found in the photos: id, name, faces, photos')
    .option('--hidden', 'include people hidden from the app')
    .action(async (flags: { hidden?: boolean }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const list = engine.faces.faces.listPeople({ hidden: flags.hidden });
        emit(options, list.map(({ id, name, faces, photos, hidden }) => ({ id, name, faces, photos, hidden })), () => formatPeople(list));
      });
    });

  people
    .command('show')
    .description("a person's faces, each with its id and photo (what split takes)")
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const person = engine.faces.faces.requirePerson(personId('<id>', id));
        const faces = engine.faces.faces.facesOfPerson(person.id);
        emit(options, { ...person, faces }, () => [`${person.id}  ${person.name ?? '(unnamed)'}`, ...faces.map((face) => `  face ${face.id}  photo ${face.photoId}  ${face.path ?? ''}`)].join('\n'));
      });
    });

  people
    .command('name')
    .description('names a person ("" takes the name away); the name is searchable')
    .argument('<id>')
    .argument('<name>')
    .action(async (id: string, name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        engine.faces.faces.name(personId('<id>', id), name);
        emit(options, { id: Number(id), name: name.trim() || null }, () => (name.trim() ? `person ${id} is ${name.trim()}` : `person ${id} has no name`));
      });
    });

  people
    .command('merge')
    .description('one person: the faces of the others join the first (which keeps its name, or takes theirs)')
    .argument('<into>')
    .argument('<others...>')
    .action(async (into: string, others: string[], _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        engine.faces.faces.merge(personId('<into>', into), others.map((other) => personId('<others>', other)));
        emit(options, { id: Number(into), merged: others.map(Number) }, () => `merged ${others.join(', ')} into ${into}`);
      });
    });

  people
    .command('split')
    .description("takes faces (ids from `iris people show`) out of a person into a new person; they stay where you put them")
    .argument('<id>')
    .argument('<faces...>')
    .option('--name <name>', 'name the new person')
    .action(async (id: string, faces: string[], flags: { name?: string }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const created = engine.faces.faces.split(personId('<id>', id), faces.map((face) => personId('<faces>', face)), flags.name?.trim() || null);
        emit(options, { id: created }, () => `faces ${faces.join(', ')} are now person ${created}`);
      });
    });

  for (const [verb, hidden] of [['hide', true], ['unhide', false]] as const) {
    people
      .command(verb)
      .description(hidden ? 'hides a person from the app and from search' : 'shows a hidden person again')
      .argument('<id>')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const options = globals(command);
        await withEngine(options, async (engine) => {
          engine.faces.faces.hide(personId('<id>', id), hidden);
          emit(options, { id: Number(id), hidden }, () => `person ${id} ${hidden ? 'hidden' : 'shown'}`);
        });
      });
  }

  people
    .command('forget')
    .description('deletes every face and person found (names included); faces are found again while indexing unless `iris settings set faces off`')
    .option('--yes', 'do it (without it, says what would be deleted)')
    .action(async (flags: { yes?: boolean }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        if (!flags.yes) {
          const count = engine.faces.faces.listPeople({ hidden: true }).length;
          emit(options, { people: count, deleted: false }, () => `would delete every face and ${count} people: run again with --yes`);
          return;
        }
        const forgotten = engine.faces.faces.forgetAll();
        emit(options, { ...forgotten, deleted: true }, () => `deleted ${forgotten.faces} faces and ${forgotten.people} people`);
      });
    });
  void context;
}
