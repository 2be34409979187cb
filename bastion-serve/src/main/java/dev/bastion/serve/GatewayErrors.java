package dev.bastion.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.Ledger;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What the gateway answers for requests Jetty refuses before they reach it (an ambiguous or
 * malformed URI, headers too large, a message that is not HTTP): the gateway's JSON error
 * {@code {"error":CODE,"message":TEXT}} rather than an HTML page, and the refusal on the ledger
 * before the answer, as for every other request.
 */
final class GatewayErrors extends ErrorHandler {
  private final Ledger ledger;
  /** The digest of the model served now (the entries name it, as the gateway's own do). */
  private final java.util.function.Supplier<String> model;

  GatewayErrors(Ledger ledger, java.util.function.Supplier<String> model) {
    this.ledger = ledger;
    this.model = model;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int given = response.getStatus() >= 400 ? response.getStatus()
        : HttpStatus.INTERNAL_SERVER_ERROR_500;
    // A request line of another HTTP version (HTTP/1.2, HTTP/0.9) is the client's error, not ours.
    int status = given == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505
        ? HttpStatus.BAD_REQUEST_400 : given;
    Object reason = request.getAttribute(ERROR_MESSAGE);
    byte[] body = body(status, reason == null ? null : reason.toString());
    String path =
        request.getHttpURI() == null ? "" : String.valueOf(request.getHttpURI().getPath());
    Event event = event(status, request.getMethod() + " " + clip(path),
        String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress()));
    try {
      ledger.appendAsync(event).whenComplete((index, failure) -> write(response, callback,
          failure == null ? status : HttpStatus.INTERNAL_SERVER_ERROR_500,
          failure == null ? body : body(HttpStatus.INTERNAL_SERVER_ERROR_500, null)));
    } catch (RuntimeException e) {
      // The ledger is closed or broken: the answer says nothing more than that it failed.
      write(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500,
          body(HttpStatus.INTERNAL_SERVER_ERROR_500, null));
    }
    return true;
  }

  private Event event(int status, String action, String peer) {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("error", code(status));
    details.put("status", Integer.toString(status));
    details.put("peer", peer);
    return Event.now(EventKind.INFERENCE, "unauthenticated", action, model.get(), "refused",
        "req-" + UUID.randomUUID(), details);
  }

  private static void write(Response response, Callback callback, int status, byte[] body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** The JSON error; Jetty's reason is kept only as far as it is plain text. */
  static byte[] body(int status, String reason) {
    ObjectNode o = Json.object();
    o.put("error", code(status));
    String text = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
    o.put("message", clip(text.replaceAll("[^\\x20-\\x7e]", "?")));
    return Json.canonical(o);
  }

  /** The gateway's error code for an HTTP status. */
  static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 431 -> "headers_too_large";
      case 500 -> "internal";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal" : "bad_request";
    };
  }

  private static String clip(String s) {
    return s.length() > 200 ? s.substring(0, 200) : s;
  }
}
