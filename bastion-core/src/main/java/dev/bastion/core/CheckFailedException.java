package dev.bastion.core;

/** A check ran and did not hold: validation, a gate, a signature, the ledger. Exit code 1. */
public class CheckFailedException extends BastionException {
  public CheckFailedException(String message) {
    super(message);
  }

  public CheckFailedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return 1;
  }
}
