package dev.bastion.ledger;

import java.util.Locale;

/** The closed set of things that happen and are recorded. */
public enum EventKind {
  ARTIFACT_PUT,
  ARTIFACT_GET,
  ARTIFACT_ERASE,
  STAGE_START,
  STAGE_END,
  GATE_DECISION,
  KEY_OPERATION,
  CONFIG_CHANGE,
  INFERENCE,
  ALERT,
  ACCESS_DENIED;

  /** The name written in the log: {@code artifact_put}, {@code gate_decision}, ... */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The kind with exactly this wire name.
   *
   * @throws IllegalArgumentException naming the value (clipped), never a Java class
   */
  public static EventKind fromWire(String s) {
    for (EventKind k : values()) {
      if (k.wireName().equals(s)) {
        return k;
      }
    }
    String shown = s == null ? "null" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
    throw new IllegalArgumentException("'" + shown + "' is not an event kind");
  }
}
