/** The events and configuration shared by the transport tests and their peers (spec/support/bus-peer.ts). */
import { eventCodec } from '../../lib/index';

export interface PeerConfig {
  readonly name: string;
  readonly transport: 'broadcast' | 'redis';
  /** The BroadcastChannel name, or the Redis prefix. */
  readonly channel: string;
  readonly redisUrl?: string;
}

export class CartChanged {
  constructor(
    readonly sender: string,
    readonly seq: number,
  ) {}
}
export class OrderCreated {
  constructor(
    readonly sender: string,
    readonly seq: number,
  ) {}
}
export class UserSeen {
  constructor(
    readonly sender: string,
    readonly seq: number,
  ) {}
}
export class Ping {
  constructor(
    readonly id: number,
    readonly from: string,
  ) {}
}
export class Pong {
  constructor(
    readonly id: number,
    readonly from: string,
  ) {}
}
export class LocalTick {
  constructor(readonly n: number) {}
}

/**
 * The peers' codec, made when a peer asks for it: made at import time (this module is imported
 * by the specs for TYPES), the codec's code would run outside any test, and a mutation run would
 * have to run every suite for each of its mutants.
 */
export const makeCodec = () => eventCodec({ CartChanged, OrderCreated, UserSeen, Ping, Pong, LocalTick });
export const TYPES = [CartChanged, OrderCreated, UserSeen] as const;

