package dev.bastion.policy;

import java.util.Objects;

/**
 * A named gate between two stages, and the CEL rule that must hold for its input to pass.
 *
 * @param name the gate's name: the stage it admits into ({@code train}, {@code evaluate}, ...)
 * @param rule a CEL expression over the previous stage's evidence, of type bool
 * @param description what it checks, for people
 */
public record GatePolicy(String name, String rule, String description) {
  public GatePolicy {
    Objects.requireNonNull(name);
    Objects.requireNonNull(rule);
    Objects.requireNonNull(description);
  }
}
