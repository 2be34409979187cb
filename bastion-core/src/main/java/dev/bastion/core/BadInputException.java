package dev.bastion.core;

/** The input could not be read or used at all: a missing file, a malformed document. Exit 2. */
public class BadInputException extends BastionException {
  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return 2;
  }
}
