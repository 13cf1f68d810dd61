import { MAX_PRESENTATION_CONTEXTS, type ProposedContext } from '../negotiation/index.js';

/** What the plan needs to know of an object to send. */
export interface StoreItem {
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
}

/** One association's worth of objects and the presentation contexts that carry them. */
export interface StoreAssociationPlan<T extends StoreItem> {
  /** One context per (SOP class, transfer syntax) pair, each proposing that one syntax. */
  readonly contexts: ProposedContext[];
  readonly items: T[];
}

/**
 * Splits objects to send over as few associations as the presentation context limit allows
 * (PS3.8 9.3.2.2: 128 per association). Each (SOP class, transfer syntax) pair gets a context
 * that proposes exactly that transfer syntax: the peer takes the object as it is or refuses it,
 * and nothing is transcoded on the way. Pure; the order of the items is kept within each plan.
 */
export function planStoreAssociations<T extends StoreItem>(
  items: Iterable<T>,
  maxContexts: number = MAX_PRESENTATION_CONTEXTS,
): StoreAssociationPlan<T>[] {
  if (!Number.isInteger(maxContexts) || maxContexts < 1) {
    throw new RangeError(`maxContexts must be a positive integer, not ${maxContexts}`);
  }
  const plans: StoreAssociationPlan<T>[] = [];
  const planOfPair = new Map<string, StoreAssociationPlan<T>>();
  for (const item of items) {
    const key = `${item.sopClassUid}\\${item.transferSyntaxUid}`;
    let plan = planOfPair.get(key);
    if (plan === undefined) {
      const last = plans.at(-1);
      if (last !== undefined && last.contexts.length < maxContexts) {
        plan = last;
      } else {
        plan = { contexts: [], items: [] };
        plans.push(plan);
      }
      plan.contexts.push({
        abstractSyntax: item.sopClassUid,
        transferSyntaxes: [item.transferSyntaxUid],
      });
      planOfPair.set(key, plan);
    }
    plan.items.push(item);
  }
  return plans;
}
