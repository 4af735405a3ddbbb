import { DefaultReplicationPolicy, type ReplicationPolicy } from '@mirrorkit/core';
import { EventEmitter } from 'eventemitter3';
import { AssignerProtocol, type Consumer, type PartitionAssigner } from 'kafkajs';
import {
  assignCoPartitioned,
  type CoPartitionMember,
  type CoPartitionTopic,
  type PartitionCountMismatch,
} from './co-partitioned-assignment.js';

/** The protocol name members agree on: every member of the group must offer it. */
export const CO_PARTITIONED_PROTOCOL = 'MirrorKitCoPartitioned';

/** Events of {@link CoPartitioning}. */
export interface CoPartitioningEvents {
  /**
   * Emitted by the group leader at each assignment where copies of one logical topic have
   * different partition counts (see {@link PartitionCountMismatch} for what still holds).
   */
  mismatch: [info: PartitionCountMismatch];
  /**
   * This member is joining the group (kafkajs asks for its protocol): what it owned may go to
   * another member from here on. A {@link PartitionedSeenKeyStore} following it restores again.
   */
  joining: [];
  /** This member's partition numbers after a join (with {@link CoPartitioning.follow}). */
  assigned: [info: { readonly partitions: readonly number[]; readonly generationMs: number }];
}

// Which CoPartitioning made an assigner: a user's own, found among kafkajs options, is kept and followed.
const makers = new WeakMap<PartitionAssigner, CoPartitioning>();

/** The {@link CoPartitioning} that made `assigner`, if one did. */
export function coPartitioningOf(assigner: PartitionAssigner): CoPartitioning | undefined {
  return makers.get(assigner);
}

/** Options of {@link CoPartitioning}. */
export interface CoPartitioningOptions {
  /** Tells copies of a topic apart (`us-west.orders` is `orders`). Default MM2's default policy. */
  replicationPolicy?: Pick<ReplicationPolicy, 'originalTopic'>;
}

/**
 * Co-partitioned assignment for one consumer: give `partitionAssigner` to kafkajs
 * (`kafka.consumer({ groupId, partitionAssigners: [co.partitionAssigner] })`) so that partition p
 * of `orders`, `us-west.orders` and every other copy goes to one member, and both copies of a key
 * sent to two regions are deduplicated by one process. `follow(consumer)` makes it sticky: the
 * member sends the partition numbers it holds with its join, and keeps them when balance allows.
 * Every member of the group must use it (kafkajs picks a protocol all members offer).
 */
export class CoPartitioning {
  readonly events = new EventEmitter<CoPartitioningEvents>();
  readonly partitionAssigner: PartitionAssigner;
  #owned: readonly number[] = [];

  constructor(options: CoPartitioningOptions = {}) {
    const policy = options.replicationPolicy ?? new DefaultReplicationPolicy();
    const version = 1;
    this.partitionAssigner = ({ cluster }) => ({
      name: CO_PARTITIONED_PROTOCOL,
      version,
      protocol: ({ topics }) => {
        this.events.emit('joining');
        return {
          name: CO_PARTITIONED_PROTOCOL,
          metadata: AssignerProtocol.MemberMetadata.encode({
            version,
            topics,
            userData: encodeOwned(this.#owned),
          }),
        };
      },
      assign: async ({ members, topics }) => {
        const inputs: CoPartitionMember[] = members.map(({ memberId, memberMetadata }) => ({
          memberId,
          owned: decodeOwned(AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData),
        }));
        const counts: CoPartitionTopic[] = topics.map((topic) => ({
          topic,
          partitions: cluster.findTopicPartitionMetadata(topic).length,
        }));
        const { assignment, mismatches } = assignCoPartitioned(inputs, counts, policy);
        for (const mismatch of mismatches) this.events.emit('mismatch', mismatch);
        return [...assignment].map(([memberId, byTopic]) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version,
            assignment: byTopic,
            userData: Buffer.alloc(0),
          }),
        }));
      },
    });
    makers.set(this.partitionAssigner, this);
  }

  /** The partition numbers this member holds (as of its last join, with {@link follow}). */
  get owned(): readonly number[] {
    return this.#owned;
  }

  /** Tracks `consumer`'s assignment, for stickiness and the `assigned` event. Returns the unsubscribe. */
  follow(consumer: Consumer): () => void {
    return consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.#owned = partitionNumbers(payload.memberAssignment);
      this.events.emit('assigned', { partitions: this.#owned, generationMs: payload.duration });
    });
  }
}

/** The partition numbers of a kafkajs member assignment (`{ topic: partitions }`), ascending. */
export function partitionNumbers(assignment: Readonly<Record<string, readonly number[]>>): number[] {
  const numbers = new Set<number>();
  for (const partitions of Object.values(assignment)) for (const p of partitions) numbers.add(p);
  return [...numbers].sort((a, b) => a - b);
}

function encodeOwned(owned: readonly number[]): Buffer {
  return Buffer.from(JSON.stringify({ owned }));
}

// Foreign or corrupt user data means "owned nothing": stickiness is an optimisation only.
function decodeOwned(userData: Buffer | undefined): number[] {
  if (userData === undefined || userData.length === 0) return [];
  try {
    const parsed: unknown = JSON.parse(userData.toString('utf8'));
    const owned = (parsed as { owned?: unknown }).owned;
    return Array.isArray(owned) ? owned.filter((p): p is number => Number.isInteger(p)) : [];
  } catch {
    return [];
  }
}
