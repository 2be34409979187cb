package dev.bastion.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A class whose static initialiser records that it ran: a stand-in for any class on the classpath
 * with side effects in {@code <clinit>}. Only {@link #RAN} may be read by tests; touching
 * {@link Target} itself would initialise it.
 */
final class ClassInitProbe {
  static final AtomicBoolean RAN = new AtomicBoolean();

  private ClassInitProbe() {}

  static final class Target {
    static {
      RAN.set(true);
    }

    private Target() {}
  }
}
