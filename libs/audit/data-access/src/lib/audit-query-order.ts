/** Filter columns with a `(column, event_time)` index in both stores; the SQLite reader steers ordered queries by this list. */
export const ORDERED_BY_EVENT_TIME = ['biz_step', 'disposition', 'action', 'reason'] as const;
