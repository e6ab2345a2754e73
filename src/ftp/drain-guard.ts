// While the gateway drains (SIGINT/SIGTERM), sessions that are still open must not start new transfers: the
// data commands (the table's `transfer` commands) are answered 421 and the session is closed.
import { commandsUsing } from './command-table';
import { gatewayOf, once, wrapCommand } from './registry';

export function installDrainGuard(): void {
  once('drain-guard', () => {
    for (const directive of commandsUsing('transfer')) {
      wrapCommand(directive, (original) =>
        function (args) {
          if (gatewayOf(this)?.draining) {
            return Promise.resolve(this.reply(421, 'Server is shutting down; try again later.')).then(() => this.close(0));
          }
          return original.call(this, args);
        },
      );
    }
  });
}
