import { type Command, InvalidArgumentError } from 'commander';
import { EngineService } from '../../engine/service/engine-service.js';
import { startServer } from '../../serve/server.js';
import { type CommandContext, globals, out, untilSignal } from '../context.js';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return parsed;
}

/**
 * `iris serve [--port P]`: the app in a browser. The real renderer and the real engine, the
 * contract over a loopback WebSocket, guarded by a token in the printed URL. Runs until Ctrl-C.
 */
export function registerServeCommand(program: Command, _context: CommandContext): void {
  program
    .command('serve')
    .description('open the library in a web browser: serves the app on 127.0.0.1 (the printed URL carries its access token)')
    .option('--port <port>', 'port to listen on (default: any free port)', port)
    .option('--poll', 'poll the file system instead of native events (network drives)')
    .action(async (opts: { port?: number; poll?: boolean }, command: Command) => {
      const options = globals(command);
      const service = EngineService.open({ libraryDir: options.library, modelsDir: options.models, device: options.device }, { watchOptions: { usePolling: opts.poll ?? false } });
      let server;
      try {
        server = await startServer({ service, port: opts.port });
      } catch (error) {
        await service.close();
        throw error;
      }
      service.start();
      out(options.json ? JSON.stringify({ url: server.url, port: server.port, library: service.engine.layout.dir }) : `Iris is at ${server.url}\n(library ${service.engine.layout.dir}; Ctrl-C to stop)`);
      await untilSignal();
      await server.close();
      await service.close();
    });
}
