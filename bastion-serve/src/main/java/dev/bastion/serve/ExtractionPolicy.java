package dev.bastion.serve;

import dev.bastion.core.BadInputException;
import java.util.Locale;

/** What the gateway does to an identity the extraction detector raised its alarm on. */
public enum ExtractionPolicy {
  /** An alert on the ledger, nothing more. */
  ALERT,
  /** The alert, and one request a second, of one instance (a batch is refused), from then on. */
  THROTTLE,
  /** The alert, and every further prediction refused (403 {@code suspended}). */
  SUSPEND;

  /**
   * Reads {@code alert}, {@code throttle} or {@code suspend}.
   *
   * @throws BadInputException naming the value otherwise
   */
  public static ExtractionPolicy parse(String text) throws BadInputException {
    for (ExtractionPolicy p : values()) {
      if (p.toString().equals(text)) {
        return p;
      }
    }
    throw new BadInputException(
        "--on-extraction: '" + text + "' is not a policy (alert, throttle or suspend)");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
