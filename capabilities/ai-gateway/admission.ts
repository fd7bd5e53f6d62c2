/** Adapts the pure validators to Pepr's admission requests. */
import type { a, PeprValidateRequest } from "pepr";
import { ResourceValidator, ValidatedKind } from "../../api/validate";
import type { ReferenceLookup } from "../../api/validation/lookup";
import { formatViolation } from "../../api/validation/violation";
import { componentLogger } from "../../lib/logger";
import { errorMessage } from "../../lib/error-message";

const log = componentLogger("admission");

/** What a Pepr `Validate` action answers: an approval or a denial. */
type ValidateActionResponse = ReturnType<PeprValidateRequest<a.GenericKind>["Approve"]>;

/**
 * A Pepr `Validate` action for `kind`: denies with every violation (field path and what is
 * allowed), approves with warnings for references to objects that do not exist yet and for rules
 * that can never route.
 */
export function admissionValidator<T extends a.GenericKind>(
  kind: ValidatedKind,
  validator: ResourceValidator,
  lookup: ReferenceLookup,
): (request: PeprValidateRequest<T>) => Promise<ValidateActionResponse> {
  return async request => {
    const object = request.Raw;
    // Finalizer removal and other updates of an object being deleted must never be blocked.
    if (object.metadata?.deletionTimestamp) return request.Approve();
    const name = object.metadata?.name ?? request.Request.name ?? "";
    const namespace = request.Request.namespace || object.metadata?.namespace || "default";
    try {
      const { violations, warnings } = await validator.validate(kind, object, {
        name,
        namespace,
        lookup,
      });
      if (violations.length > 0) {
        log.info("denied", { kind, namespace, name, violations: violations.length });
        return request.Deny(violations.map(formatViolation).join("; "));
      }
      return request.Approve(warnings.length > 0 ? warnings : undefined);
    } catch (error) {
      log.error("validation failed", { kind, namespace, name, error: errorMessage(error) });
      return request.Deny(
        `${kind} ${namespace}/${name} could not be validated: ${errorMessage(error)}; try again`,
      );
    }
  };
}
