package dev.bastion.core;

/**
 * The checked base of every error Bastion reports to a user.
 *
 * <p>Its message is one line saying what is wrong and where (file, row, column, field). The exit
 * code follows DESIGN.md: 1 when a check failed, 2 for bad usage or bad input.
 */
public abstract class BastionException extends Exception {
  protected BastionException(String message) {
    super(message);
  }

  protected BastionException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The process exit code the command line uses for this error. */
  public abstract int exitCode();
}
