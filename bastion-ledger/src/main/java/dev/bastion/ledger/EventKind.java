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

  /** The kind with this wire name. */
  public static EventKind fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
