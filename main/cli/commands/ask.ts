import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { AskOptions } from '../../engine/ask/ask-service.js';
import type { Engine } from '../../engine/engine.js';
import { UsageError } from '../../engine/index.js';
import { type CommandContext, emit, globals, out, withEngine } from '../context.js';
import { writeOut } from '../streams.js';

interface AskFlags {
  conversation?: string;
  provider?: string;
  maxTokens?: string;
  temperature?: string;
}

function askOptions(flags: AskFlags): AskOptions {
  const options: AskOptions = {};
  if (flags.conversation !== undefined) {
    if (!/^\d+$/.test(flags.conversation)) throw new UsageError(`--conversation wants a conversation id, not "${flags.conversation}"`);
    options.conversationId = Number(flags.conversation);
  }
  if (flags.provider !== undefined) {
    if (flags.provider !== 'local' && flags.provider !== 'endpoint') throw new UsageError(`--provider wants local or endpoint, not "${flags.provider}"`);
    options.provider = flags.provider;
  }
  const decoding: NonNullable<AskOptions['decoding']> = {};
  if (flags.maxTokens !== undefined) {
    const n = Number(flags.maxTokens);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--max-tokens wants a whole number of at least 1, not "${flags.maxTokens}"`);
    decoding.maxTokens = n;
  }
  if (flags.temperature !== undefined) {
    const t = Number(flags.temperature);
    if (!(t >= 0 && t <= 2)) throw new UsageError(`--temperature wants a number from 0 (greedy) to 2, not "${flags.temperature}"`);
    decoding.temperature = t;
  }
  return { ...options, decoding };
}

function withAskOptions(command: Command): Command {
  return command
    .option('--conversation <id>', 'continue a conversation (ids from `iris conversations`)')
    .option('--provider <provider>', 'local or endpoint (default: the ask-provider setting)')
    .option('--max-tokens <n>', 'longest answer, in tokens')
    .option('--temperature <t>', '0 = always the most likely word (default); higher = more varied');
}

/** Prints the answer as it streams; Ctrl-C stops the answer (what was said is kept). */
async function streamAnswer(engine: Engine, photoId: number, question: string, options: AskOptions) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const result = await engine.ask.ask(photoId, question, { ...options, signal: controller.signal, onToken: (piece) => writeOut(piece) });
    writeOut(result.answer.finish === 'cancelled' ? ' [stopped]\n' : result.answer.finish === 'length' ? ' [cut at the token limit]\n' : '\n');
    return result;
  } finally {
    process.off('SIGINT', stop);
  }
}

/** `iris ask`, `iris chat`, `iris conversations`: questions about a photo. */
export function registerAskCommands(program: Command, context: CommandContext): void {
  withAskOptions(program.command('ask').description('ask one question about a photo; the answer streams as it is written').argument('<photo>', 'a library path or photo id').argument('<question>')).action(
    async (photo: string, question: string, flags: AskFlags, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const photoId = engine.library.resolvePhoto(photo);
        if (options.json) {
          const result = await engine.ask.ask(photoId, question, askOptions(flags));
          emit(options, { conversation: result.conversation, answer: result.answer }, () => '');
          return;
        }
        await streamAnswer(engine, photoId, question, askOptions(flags));
      });
    },
  );

  withAskOptions(program.command('chat').description('talk about a photo: each question sees the conversation so far (/quit or Ctrl-D ends)').argument('<photo>', 'a library path or photo id')).action(
    async (photo: string, flags: AskFlags, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const photoId = engine.library.resolvePhoto(photo);
        const base = askOptions(flags);
        let conversationId = base.conversationId;
        if (conversationId !== undefined) for (const turn of engine.ask.conversations.history(conversationId)) out(`${turn.role === 'user' ? 'you' : 'iris'}> ${turn.text}`);
        // Line by line from stdin (a terminal or a pipe): the async iterator buffers lines that arrive while an answer streams.
        const lines = readline.createInterface({ input: process.stdin, terminal: false });
        const prompt = () => writeOut('you> ');
        prompt();
        try {
          for await (const line of lines) {
            const question = line.trim();
            if (question === '/quit' || question === '/exit') break;
            if (question) {
              writeOut('iris> ');
              const result = await streamAnswer(engine, photoId, question, { ...base, conversationId });
              conversationId = result.conversation.id;
            }
            prompt();
          }
        } finally {
          lines.close();
        }
        writeOut('\n');
        if (conversationId !== undefined) out(`(conversation ${conversationId}: \`iris chat ${photo} --conversation ${conversationId}\` continues it)`);
      });
    },
  );

  program
    .command('conversations')
    .description('conversations about photos, latest first (with --show, one conversation\'s turns)')
    .argument('[photo]', 'only conversations about this photo (path or id)')
    .option('--show <id>', 'print the turns of a conversation')
    .action(async (photo: string | undefined, flags: { show?: string }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        if (flags.show !== undefined) {
          const conversation = /^\d+$/.test(flags.show) ? engine.ask.conversations.get(Number(flags.show)) : undefined;
          if (!conversation) throw new UsageError(`no conversation ${flags.show}`);
          const messages = engine.ask.conversations.messages(conversation.id);
          emit(options, { ...conversation, messages }, () => messages.map((m) => `${m.role === 'user' ? 'you' : 'iris'}> ${m.text}`).join('\n'));
          return;
        }
        const list = engine.ask.conversations.list(photo === undefined ? undefined : engine.library.resolvePhoto(photo));
        emit(options, list, () =>
          list.length === 0
            ? 'no conversations yet: `iris ask <photo> "<question>"` starts one'
            : list.map((c) => `${String(c.id).padStart(5)}  photo ${c.photoId}  ${c.messageCount / 2} turn${c.messageCount === 2 ? '' : 's'}  ${c.model}  ${c.title}`).join('\n'),
        );
      });
    });
  void context;
}
