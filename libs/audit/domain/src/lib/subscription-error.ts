import { DomainError, ErrorCode } from '@m2m-trust/shared-domain';

/** A SubscriptionControlsException about one control. */
export function subscriptionError(name: string, message: string): DomainError {
  return new DomainError(ErrorCode.SubscriptionControlsInvalid, `${name}: ${message}`, [{ path: name, message }]);
}
