import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The key the demo's quotes API accepts (a demo fixture on loopback, not a secret of anyone's). */
export const DEMO_QUOTES_KEY = 'demo-quotes-key';

/** Where the demo API is mounted on Toolport's own server. */
export const DEMO_API_PREFIX = '/demo-api';

interface Task {
  id: string;
  title: string;
  status: 'todo' | 'in_progress' | 'done';
  description?: string;
  priority?: string;
  due_date?: string;
  tags?: string[];
  assignee?: { name: string; email?: string };
  created_at: string;
}

const MAX_TASKS = 500;
const QUOTES = [
  { id: 'q1', text: 'Simplicity is prerequisite for reliability.', author: 'Edsger W. Dijkstra', tags: ['wisdom'] },
  { id: 'q2', text: 'Make it work, make it right, make it fast.', author: 'Kent Beck', tags: ['craft'] },
  { id: 'q3', text: 'The best way to predict the future is to invent it.', author: 'Alan Kay', tags: ['wisdom'] },
  { id: 'q4', text: 'Programs must be written for people to read.', author: 'Harold Abelson', tags: ['craft'] },
];

const EDITABLE = ['title', 'status', 'description', 'priority', 'due_date', 'tags', 'assignee'] as const;

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.status(404).send({ error: `${what} not found` });
}

/**
 * A small in-memory task and quotes API that Toolport serves for its own demo (`npm start`), so the demo's HTTP
 * connectors work offline. It keeps at most 500 tasks and is mounted only with `--samples`.
 *
 * @example
 * registerDemoApi(app); // GET /demo-api/tasks, POST /demo-api/tasks, GET /demo-api/quotes/random …
 */
export function registerDemoApi(app: FastifyInstance): void {
  const tasks = new Map<string, Task>();
  const seed = (title: string, status: Task['status'], tags: string[]): void => {
    const id = randomUUID().slice(0, 8);
    tasks.set(id, { id, title, status, tags, created_at: new Date().toISOString() });
  };
  seed('Try the demo project', 'in_progress', ['toolport']);
  seed('Connect an MCP client', 'todo', ['toolport', 'clients']);
  seed('Write a manifest of your own', 'todo', ['toolport']);

  const task = (request: FastifyRequest): Task | undefined => tasks.get((request.params as { id: string }).id);
  const base = DEMO_API_PREFIX;

  app.get(`${base}/tasks`, async (request) => {
    const q = request.query as { status?: string; tag?: string; limit?: string; offset?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 20) || 20, 1), 100);
    const offset = Math.max(Number(q.offset ?? 0) || 0, 0);
    const all = [...tasks.values()].filter(
      (t) => (!q.status || t.status === q.status) && (!q.tag || (t.tags ?? []).includes(q.tag)),
    );
    return { tasks: all.slice(offset, offset + limit), total: all.length };
  });
  app.get(`${base}/tasks/:id`, async (request, reply) => task(request) ?? notFound(reply, 'task'));
  app.post(`${base}/tasks`, async (request, reply) => {
    const body = (request.body ?? {}) as Partial<Task>;
    if (typeof body.title !== 'string' || body.title.trim() === '') {
      return reply.status(400).send({ error: 'title is required' });
    }
    if (tasks.size >= MAX_TASKS) return reply.status(507).send({ error: `the demo keeps at most ${MAX_TASKS} tasks` });
    const created: Task = {
      status: 'todo',
      ...pick(body),
      id: randomUUID().slice(0, 8),
      created_at: new Date().toISOString(),
    } as Task;
    tasks.set(created.id, created);
    return reply.status(201).send(created);
  });
  app.patch(`${base}/tasks/:id`, async (request, reply) => {
    const current = task(request);
    if (!current) return notFound(reply, 'task');
    const updated = { ...current, ...pick((request.body ?? {}) as Partial<Task>) };
    tasks.set(current.id, updated);
    return updated;
  });
  app.delete(`${base}/tasks/:id`, async (request, reply) => {
    const current = task(request);
    if (!current) return notFound(reply, 'task');
    tasks.delete(current.id);
    return current;
  });

  const notes = new Map<string, { text: string; created_at: string }[]>();
  const keyed = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.headers['x-api-key'] !== DEMO_QUOTES_KEY) {
      await reply.status(401).send({ error: 'missing or wrong X-API-Key' });
    }
  };
  app.get(`${base}/quotes/random`, { preHandler: keyed }, async (request) => {
    const tag = (request.query as { tag?: string }).tag;
    const pool = QUOTES.filter((quote) => !tag || quote.tags.includes(tag));
    return pool[Math.floor(Math.random() * pool.length)] ?? { error: `no quote tagged ${tag}` };
  });
  app.get(`${base}/quotes`, { preHandler: keyed }, async (request) => {
    const q = ((request.query as { q?: string }).q ?? '').toLowerCase();
    return { quotes: QUOTES.filter((quote) => `${quote.text} ${quote.author}`.toLowerCase().includes(q)) };
  });
  app.post(`${base}/quotes/:id/notes`, { preHandler: keyed }, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    if (!QUOTES.some((quote) => quote.id === id)) return notFound(reply, 'quote');
    const text = (request.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text === '') return reply.status(400).send({ error: 'text is required' });
    const list = notes.get(id) ?? [];
    if (list.length >= 50) return reply.status(507).send({ error: 'the demo keeps at most 50 notes per quote' });
    list.push({ text: text.slice(0, 2000), created_at: new Date().toISOString() });
    notes.set(id, list);
    return reply.status(201).send({ quote_id: id, notes: list });
  });
}

/** The editable fields of a task body; anything else is ignored. */
function pick(body: Partial<Task>): Partial<Task> {
  const out: Partial<Task> = {};
  for (const key of EDITABLE) if (body[key] !== undefined) (out as Record<string, unknown>)[key] = body[key];
  return out;
}
