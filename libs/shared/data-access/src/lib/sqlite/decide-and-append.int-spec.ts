import { type Attempt, type Clock, decideAndAppend, type DecideAndAppendOptions } from '@m2m-trust/shared-contracts';
import { type Decider, ErrorCode } from '@m2m-trust/shared-domain';
import type { DeviceRevoked, EventMetadata, NewEvent } from '@m2m-trust/shared-events';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database';
import { SqliteEventStore } from './sqlite-event-store';

// decideAndAppend (shared-contracts) against the real SQLite store: the handler shape every command handler uses.

const clock: Clock = { now: () => new Date('2026-11-21T08:00:00.000Z') };
const meta: EventMetadata = { requestId: 'r1', actor: 'api-key:admin' };

/** A small decider: each `Note` records one revocation note, unless `once` and one is recorded already. */
type Note = { readonly type: 'Note'; readonly data: { readonly once?: boolean } };
type Notes = { readonly count: number };
const notes: Decider<Note, DeviceRevoked, Notes> = {
  initialState: { count: 0 },
  evolve: (state) => ({ count: state.count + 1 }),
  decide: (command, state) =>
    command.data.once && state.count > 0 ? [] : [{ type: 'DeviceRevoked', data: { deviceId: 'd1', reason: `note ${state.count + 1}`, revokedAt: '2026-11-21T08:00:00.000Z' } }],
};
const noted = (reason: string): NewEvent => ({ type: 'DeviceRevoked', data: { deviceId: 'd1', reason, revokedAt: '2026-11-21T08:00:00.000Z' }, metadata: meta });
const note: Note = { type: 'Note', data: {} };

describe('decideAndAppend (real SQLite store)', () => {
  let dir: string;
  let database: SqliteDatabase;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm2m-decide-'));
    database = await openSqliteDatabase(dir, []);
    store = new SqliteEventStore(database.db, [], clock);
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const given = async (streamId: string, ...reasons: string[]): Promise<void> => {
    if (reasons.length > 0) await store.appendToStream(streamId, 0, reasons.map(noted));
  };
  const stored = async (streamId: string) => (await store.readStream(streamId)).events.map((event) => ({ reason: (event.data as DeviceRevoked['data']).reason, metadata: event.metadata }));

  it('given a stream, when a command is decided, then its events are appended at the version read, with the metadata', async () => {
    await given('s', 'note 1');
    const decided = await decideAndAppend(store, 's', notes, note, meta);
    expect(decided.state).toEqual({ count: 2 });
    expect(decided.version).toBe(2);
    expect(decided.events.map((event) => event.streamVersion)).toEqual([2]);
    expect(await stored('s')).toEqual([
      { reason: 'note 1', metadata: meta },
      { reason: 'note 2', metadata: meta },
    ]);
  });

  it('given a command that decides nothing, then nothing is appended and the state read is answered', async () => {
    await given('s', 'note 1');
    const decided = await decideAndAppend(store, 's', notes, { type: 'Note', data: { once: true } }, meta);
    expect(decided).toEqual({ state: { count: 1 }, events: [], version: 1 });
    expect(await stored('s')).toHaveLength(1);
  });

  it('given an attempt factory answering null, then nothing is decided or appended', async () => {
    const decided = await decideAndAppend(store, 's', notes, () => null, meta);
    expect(decided).toEqual({ state: { count: 0 }, events: [], version: 0 });
    expect(await stored('s')).toEqual([]);
  });

  it('given preloaded state, then the first attempt decides on it without reading the stream', async () => {
    await given('s', 'note 1');
    const seen: Notes[] = [];
    const decided = await decideAndAppend(
      store,
      's',
      notes,
      (state) => {
        seen.push(state);
        return { command: note };
      },
      meta,
      // Not what the store holds: only a decision that did not read would see it.
      { preloaded: { state: { count: 7 }, version: 1 } },
    );
    expect(seen).toEqual([{ count: 7 }]);
    expect(decided.state).toEqual({ count: 8 });
    expect((await stored('s')).map((event) => event.reason)).toEqual(['note 1', 'note 8']);
  });

  it('given stale preloaded state, then the conflict is decided again on the stream as read', async () => {
    await given('s', 'note 1', 'note 2');
    const seen: Array<{ state: Notes; attempt: number }> = [];
    await decideAndAppend(
      store,
      's',
      notes,
      (state, attempt) => {
        seen.push({ state, attempt });
        return { command: note };
      },
      meta,
      { preloaded: { state: { count: 1 }, version: 1 } },
    );
    expect(seen).toEqual([
      { state: { count: 1 }, attempt: 1 },
      { state: { count: 2 }, attempt: 2 },
    ]);
    expect((await stored('s')).map((event) => event.reason)).toEqual(['note 1', 'note 2', 'note 3']);
  });

  it('given an expected version derived from state, then a state that allows any version appends whatever the stream holds', async () => {
    await given('s', 'note 1', 'note 2');
    const options: DecideAndAppendOptions<Notes> = {
      preloaded: { state: { count: 1 }, version: 1 },
      expectedVersion: (state, version) => (state.count > 0 ? 'any' : version),
      onConflict: () => {
        throw new Error('no conflict expected');
      },
    };
    const decided = await decideAndAppend(store, 's', notes, note, meta, options);
    expect(decided.version).toBe(3);
    expect((await stored('s')).map((event) => event.reason)).toEqual(['note 1', 'note 2', 'note 2']);
  });

  it('given metadata per state, then the events carry what the state they were decided on says', async () => {
    await given('s', 'note 1');
    await decideAndAppend(store, 's', notes, note, (state) => ({ ...meta, actor: `device:${state.count}` }));
    expect((await stored('s'))[1]?.metadata).toEqual({ ...meta, actor: 'device:1' });
  });

  it('given conditions per attempt, when one fails, then the conflict hook runs and the next attempt builds its own conditions', async () => {
    await given('device', 'registered');
    // A cache of the other stream's version that is stale until the conflict hook drops it.
    let cached = 0;
    const attempts: Array<Attempt<Note> & { attempt: number }> = [];
    const conflicts: Notes[] = [];
    await decideAndAppend(
      store,
      's',
      notes,
      (_state, attempt) => {
        const next = { command: note, conditions: [{ streamId: 'device', version: cached }] };
        attempts.push({ ...next, attempt });
        return next;
      },
      meta,
      {
        onConflict: (state) => {
          conflicts.push(state);
          cached = 1;
        },
      },
    );
    expect(attempts.map(({ attempt, conditions }) => ({ attempt, conditions }))).toEqual([
      { attempt: 1, conditions: [{ streamId: 'device', version: 0 }] },
      { attempt: 2, conditions: [{ streamId: 'device', version: 1 }] },
    ]);
    expect(conflicts).toEqual([{ count: 0 }]);
    expect(await stored('s')).toHaveLength(1);
  });

  it('given conflicts on every attempt, then it gives up after the bounded attempts with the conflict, having appended nothing', async () => {
    await given('device', 'registered');
    let attempted = 0;
    let conflicts = 0;
    const deciding = decideAndAppend(
      store,
      's',
      notes,
      () => {
        attempted++;
        return { command: note, conditions: [{ streamId: 'device', version: 0 }] };
      },
      meta,
      { attempts: 2, onConflict: () => void conflicts++ },
    );
    await expect(deciding).rejects.toMatchObject({ code: ErrorCode.ConcurrencyConflict });
    // The hook prepares the next attempt: none follows the last one.
    expect({ attempted, conflicts }).toEqual({ attempted: 2, conflicts: 1 });
    expect(await stored('s')).toEqual([]);
  });

  it('given a refusal that is not a conflict, then it is thrown at once without another attempt', async () => {
    let attempted = 0;
    const refusing: Decider<Note, DeviceRevoked, Notes> = {
      ...notes,
      decide: () => {
        attempted++;
        throw new Error('refused');
      },
    };
    await expect(decideAndAppend(store, 's', refusing, note, meta)).rejects.toThrow('refused');
    expect(attempted).toBe(1);
  });
});
