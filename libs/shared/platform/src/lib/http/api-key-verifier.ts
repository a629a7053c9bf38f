import type { ApiKeyScope } from '@m2m-trust/shared-events';

/** A managed API key that checked out: who it is and what it may do. */
export interface VerifiedApiKey {
  readonly id: string;
  readonly scopes: readonly ApiKeyScope[];
}

/**
 * The port through which the platform checks keys other than the admin key.
 * The access feature implements it where API keys are stored (the embedded
 * gateway); where nothing provides it, only the admin key is accepted.
 */
export abstract class ApiKeyVerifier {
  /** The key's id and scopes when it is known, unexpired and unrevoked; null otherwise. */
  abstract verify(presentedKey: string): Promise<VerifiedApiKey | null>;
}
