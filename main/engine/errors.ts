/** The contract's codes for an error a person can act on (contract.ts CallError). */
export type UserErrorCode = 'usage' | 'not-found' | 'unavailable';

/**
 * An error whose message a person can act on, in their words: what to install, which setting,
 * which photo, when to try again. A window receives it as it is, under `callCode`
 * (service/engine-service.ts toCallError); any other error reaches it as `internal`.
 */
export abstract class UserFacingError extends Error {
  abstract readonly callCode: UserErrorCode;
  /** The catalog model whose download cures this (a window offers to download it), when there is one. */
  readonly modelToInstall?: string;
}

/** A mistake in what the user asked for (a folder that does not exist, no folders yet): exit code 2. */
export class UsageError extends UserFacingError {
  readonly callCode: UserErrorCode = 'usage';

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
  override readonly callCode: UserErrorCode = 'not-found';

  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * A task needs a model that is not downloaded: the message says which, in the CLI's words (the
 * command that installs it); a window offers a Download button for `modelToInstall` instead.
 */
export class ModelMissingError extends UsageError {
  override readonly modelToInstall: string;

  constructor(message: string, modelId: string) {
    super(message);
    this.name = 'ModelMissingError';
    this.modelToInstall = modelId;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
