/** An answer from the server that is not a success; `detail` is the sentence to show. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;

  constructor(status: number, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

export const UNREACHABLE = "Could not reach the Infrasync server. Check your connection and try again.";

/**
 * The sentence in an error body. Every JSON error is `{"detail": "<sentence>"}`; a list of
 * validation problems (FastAPI's own shape) is joined into one line just in case.
 */
export function detailOf(body: unknown, status: number): string {
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
  if (!response.ok) throw new ApiError(response.status, detailOf(error, response.status));
  return data as T;
}

/** What to tell the user about a failed request. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  // fetch() rejects with a TypeError when the network or the server is down.
  if (error instanceof TypeError) return UNREACHABLE;
  return "Something went wrong. Please try again.";
}
