import type { Command } from 'commander';
import { type SettingState, clearSetting, describeSetting, listSettings, parseSettingKey, parseSettingValue, writeSetting } from '../../engine/settings.js';
import { type CommandContext, emit, globals, withEngine } from '../context.js';

/** `iris settings [list] | get <key> | set <key> <value> | unset <key>`: the library's settings. */

function formatList(states: readonly SettingState[]): string {
  const width = Math.max(...states.map((s) => s.key.length));
  return states
    .map((s) => {
      const value = `${String(s.value)}${s.source === 'default' ? ' (default)' : ''}`;
      return `${s.key.padEnd(width)}  ${value.padEnd(16)}  ${s.description}${s.problem ? `\n${' '.repeat(width + 2)}${s.problem}` : ''}`;
    })
    .join('\n');
}

export function registerSettingsCommands(program: Command, _context: CommandContext): void {
  const settings = program.command('settings').description('library settings, stored in the library (list, get, set, unset)');

  settings
    .command('list', { isDefault: true })
    .description('every setting with its value, default and meaning')
    .action(async (_opts, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const states = listSettings(engine.store);
        emit(options, states, () => formatList(states));
      });
    });

  settings
    .command('get')
    .description('print one setting (the default when none is stored)')
    .argument('<key>')
    .action(async (key: string, _opts, command: Command) => {
      const options = globals(command);
      const name = parseSettingKey(key);
      await withEngine(options, async (engine) => {
        const state = describeSetting(engine.store, name);
        // Just the value, so that scripts can use $(iris settings get device).
        emit(options, state, () => String(state.value));
      });
    });

  settings
    .command('set')
    .description('store a setting (validated: a bad value changes nothing and exits 2)')
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, text: string, _opts, command: Command) => {
      const options = globals(command);
      const name = parseSettingKey(key);
      // Validated before the library is opened, so a typo never creates or touches one.
      parseSettingValue(name, text);
      await withEngine(options, async (engine) => {
        writeSetting(engine.store, name, text);
        const state = describeSetting(engine.store, name);
        emit(options, state, () => `${name} = ${String(state.value)}`);
      });
    });

  settings
    .command('unset')
    .description('forget a setting: its default applies again')
    .argument('<key>')
    .action(async (key: string, _opts, command: Command) => {
      const options = globals(command);
      const name = parseSettingKey(key);
      await withEngine(options, async (engine) => {
        const removed = clearSetting(engine.store, name);
        const state = describeSetting(engine.store, name);
        emit(options, { ...state, removed }, () => `${name} ${removed ? 'reset' : 'was not set'}: the default (${String(state.default)}) applies`);
      });
    });
}
