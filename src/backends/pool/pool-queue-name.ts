/**
 * The backend queue (backend-queue.ts) of one server of a pool: its name is also what a full queue's
 * message names. Its own module: the queues, the capacities, the metrics, the server facts and the
 * dashboard all key on it, and none of them should import another of them for a name.
 */
export function poolQueueName(backend: string, server: string): string {
  return `${backend} on ${server}`;
}
