/** One problem of a 422: the field it belongs to (`name`, `schedule.at`; empty for the whole request) and its sentence. */
export interface Problem {
  field: string;
  message: string;
}

/** An answer from the server that is not a success; `detail` is the sentence to show, `problems` a 422's by field. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly problems: Problem[];

  constructor(status: number, detail: string, problems: Problem[] = []) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.problems = problems;
  }
}

// FastAPI's first location part says where in the request a problem is, not which field.
const WHERE = new Set(["body", "query", "path", "header", "cookie"]);

function problemOf(item: unknown): Problem | null {
  if (typeof item !== "object" || item === null) return null;
  const { field, message, loc, msg } = item as { field?: unknown; message?: unknown; loc?: unknown; msg?: unknown };
  if (typeof message === "string" && message.trim()) {
    return { field: typeof field === "string" ? field : "", message };
  }
  // A server older than the sentences: pydantic's location and words, still tied to the field.
  if (typeof msg !== "string" || !Array.isArray(loc)) return null;
  const parts = loc.map(String);
  return { field: (WHERE.has(parts[0] ?? "") ? parts.slice(1) : parts).join("."), message: msg };
}

/** The problems of a 422 body (`errors`), each with its field and sentence. */
export function problemsOf(body: unknown): Problem[] {
  if (typeof body !== "object" || body === null || !("errors" in body)) return [];
  const { errors } = body as { errors: unknown };
  if (!Array.isArray(errors)) return [];
  return errors.map(problemOf).filter((problem): problem is Problem => problem !== null);
}

/** The sentences a 422 gives each problem (`errors[].message`), when it gives them. */
function sentencesOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null || !("errors" in body)) return [];
  const { errors } = body as { errors: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return [];
  const sentences = errors.map((item) =>
    typeof item === "object" && item !== null && "message" in item ? String(item.message) : "",
  );
  return sentences.every(Boolean) ? sentences : [];
}

function belongsTo(problem: Problem, field: string): boolean {
  return problem.field === field || problem.field.startsWith(`${field}.`);
}

/** The server's sentence about `field` (or one of its parts), to show beside that field. */
export function fieldProblem(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const found = error.problems.filter((problem) => belongsTo(problem, field));
  return found.length > 0 ? found.map((problem) => problem.message).join(" ") : undefined;
}

/**
 * What to say about a failed request above a form whose `shown` fields show their own
 * problems: the rest of the problems, or the whole sentence; null when every problem is
 * already beside its field.
 */
export function formProblem(error: unknown, shown: readonly string[]): string | null {
  if (!error) return null;
  if (!(error instanceof ApiError) || error.problems.length === 0) return errorMessage(error);
  const rest = error.problems.filter((problem) => !shown.some((field) => belongsTo(problem, field)));
  if (rest.length === 0) return null;
  return rest.map((problem) => problem.message).join(" ");
}

export const UNREACHABLE = "Could not reach the Infrasync server. Check your connection and try again.";

/**
 * The sentence in an error body. Every JSON error is `{"detail": "<sentence>"}`; a 422's
 * problems (`errors`, each with its sentence) are said instead, as they read best; a list
 * of validation problems (FastAPI's own shape) is joined into one line just in case.
 */
export function detailOf(body: unknown, status: number): string {
  const sentences = sentencesOf(body);
  if (sentences.length > 0) return sentences.join(" ");
  if (typeof body === "object" && body !== null && "detail" in body) {
    const { detail } = body as { detail: unknown };
    if (typeof detail === "string" && detail.trim()) return detail;
    if (Array.isArray(detail)) {
      const messages = detail
        .map((item) => (typeof item === "object" && item !== null && "msg" in item ? String(item.msg) : ""))
        .filter(Boolean);
      if (messages.length > 0) return `${messages.join("; ")}.`;
    }
  }
  if (status === 502 || status === 504) return UNREACHABLE;
  return `The server could not do that (HTTP ${status}). Please try again.`;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; otherwise throws an ApiError carrying the server's sentence. */
export async function unwrap<T>(pending: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw new ApiError(response.status, detailOf(error, response.status), problemsOf(error));
  return data as T;
}

/** What to tell the user about a failed request. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  // fetch() rejects with a TypeError when the network or the server is down.
  if (error instanceof TypeError) return UNREACHABLE;
  return "Something went wrong. Please try again.";
}
