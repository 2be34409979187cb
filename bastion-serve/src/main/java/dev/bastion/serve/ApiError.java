package dev.bastion.serve;

/** An HTTP error, sent as JSON. */
final class ApiError extends Exception {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final long retryAfter;

  ApiError(int status, String code, String message) {
    this(status, code, message, 0);
  }

  ApiError(int status, String code, String message, long retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}
