package dev.bastion.core;

/**
 * A signature, digest or chain of evidence did not verify. Verification methods return normally
 * only when everything holds, and throw this otherwise; there is no {@code boolean verify()}.
 */
public class VerificationException extends CheckFailedException {
  public VerificationException(String message) {
    super(message);
  }

  public VerificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
