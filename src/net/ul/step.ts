/**
 * The upper layer protocol machine as a pure function (PS3.8 9.2): a state and an event in, the
 * next state and the actions to perform out. No timers, sockets or callbacks: the caller performs
 * the actions (association.ts holds the state and does the timer part).
 */
import { ACTIONS, type Action, type ActionName, type StepDetails } from './actions.js';
import type { State, UlEvent } from './states.js';
import { TRANSITION_TABLE } from './transition-table.js';

export interface Transition {
  readonly state: State;
  readonly event: UlEvent;
  /**
   * The action in the table cell, or undefined for a cell the standard leaves empty: the event
   * cannot happen in that state (a local request out of turn, a transport event after we closed
   * the connection). Then the state does not change and there is nothing to do.
   */
  readonly rule: ActionName | undefined;
  readonly next: State;
  readonly actions: readonly Action[];
}

/** The action PS3.8 Table 9-10 gives for `event` in `state`, if any. */
export function ruleFor(state: State, event: UlEvent): ActionName | undefined {
  return TRANSITION_TABLE[event][state];
}

export function step(state: State, event: UlEvent, details: StepDetails = {}): Transition {
  const rule = ruleFor(state, event);
  if (rule === undefined) return { state, event, rule, next: state, actions: [] };
  const { next, actions } = ACTIONS[rule].run(event, details);
  return { state, event, rule, next, actions };
}
