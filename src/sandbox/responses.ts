// The reply shapes CARTO's Rails app produces, in one place.

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

export function jsonReply(status: number, body: unknown): Response {
  return rawJsonReply(status, JSON.stringify(body));
}

/** For a body already serialized (the list assembles cached key JSON). */
export function rawJsonReply(status: number, json: string): Response {
  return new Response(json, { status, headers: { 'content-type': JSON_CONTENT_TYPE } });
}

/** CARTO's rescue_from_carto_error: `errors` is a string, `errors_cause` always null here. */
export function errorReply(status: number, message: string): Response {
  return jsonReply(status, { errors: message, errors_cause: null });
}

/** `head :unauthorized` / `head :not_found` / `head :no_content`: no body, no content type. */
export function emptyReply(status: number): Response {
  return new Response(null, { status });
}

/**
 * What Rails' ActionDispatch::PublicExceptions sends when the request itself is unreadable
 * (malformed JSON body, bad percent-encoding): the app never runs, so it is not CARTO's error shape.
 */
export function railsBadRequest(): Response {
  return jsonReply(400, { status: 400, error: 'Bad Request' });
}

function htmlReply(status: number, title: string, text: string): Response {
  const body = `<!DOCTYPE html>\n<html>\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${text}</h1>\n</body>\n</html>\n`;
  return new Response(body, { status, headers: { 'content-type': HTML_CONTENT_TYPE } });
}

/** Rails' static public/404.html: what an unknown route (or user) gets. */
export function railsNotFoundPage(): Response {
  return htmlReply(404, "The page you were looking for doesn't exist (404)", "The page you were looking for doesn't exist.");
}

/** Rails' static public/500.html: what an exception no rescue_from handles gets. */
export function railsServerErrorPage(): Response {
  return htmlReply(500, "We're sorry, but something went wrong (500)", "We're sorry, but something went wrong.");
}
