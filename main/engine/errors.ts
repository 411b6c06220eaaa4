/** A mistake in what the user asked for (a folder that does not exist, no folders yet): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A photo, folder, conversation or edit named by id that does not exist: a UsageError for the CLI
 * (exit 2), the contract's `not-found` for a window.
 */
export class NotFoundError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
