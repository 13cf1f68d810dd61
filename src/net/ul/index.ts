/**
 * The DICOM upper layer protocol machine (PS3.8 9.2): the state table as data, a pure `step`, and
 * `Association`, which holds one association's state and runs its ARTIM timer on an injected clock.
 */
export {
  ALL_EVENTS,
  ALL_STATES,
  EVENTS,
  LOCAL_PRIMITIVE_EVENTS,
  STATES,
  type State,
  type UlEvent,
} from './states.js';
export {
  ACTIONS,
  type Action,
  type ActionDefinition,
  type ActionName,
  type Primitive,
  type StepDetails,
} from './actions.js';
export { TRANSITION_TABLE } from './transition-table.js';
export { ruleFor, step, type Transition } from './step.js';
export type { Clock, TimerHandle } from './clock.js';
export { UlError, type UlErrorCode } from './errors.js';
export {
  Association,
  DEFAULT_ARTIM_TIMEOUT_MS,
  type AssociationOptions,
  type AssociationOutput,
} from './association.js';
