package dev.bastion.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import java.util.Arrays;
import java.util.Random;

/** Shared by the model fuzz test and its seeded twin: corruption, and the property to hold. */
final class ModelFuzzing {
  static final String WHERE = "model.json";

  private ModelFuzzing() {}

  /** Flip, overwrite, cut or duplicate a few bytes. */
  static byte[] corrupt(Random rnd, byte[] original) {
    byte[] p = original.clone();
    for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
      switch (rnd.nextInt(4)) {
        case 0 -> p[rnd.nextInt(p.length)] ^= (byte) (1 << rnd.nextInt(8));
        case 1 -> p[rnd.nextInt(p.length)] = (byte) rnd.nextInt(256);
        case 2 -> p = Arrays.copyOf(p, 1 + rnd.nextInt(p.length));
        default -> {
          int from = rnd.nextInt(p.length);
          int len = Math.min(1 + rnd.nextInt(16), p.length - from);
          byte[] q = new byte[p.length + len];
          System.arraycopy(p, 0, q, 0, from + len);
          System.arraycopy(p, from, q, from + len, p.length - from);
          p = q;
        }
      }
    }
    return p;
  }

  /** The stored form is either a model or a BadInputException naming it, nothing else. */
  static void assertLoadsOrRefuses(byte[] bytes) {
    try {
      TabularModel m = TabularModel.fromBytes(bytes, WHERE);
      assertThat(m.spec()).isNotNull();
    } catch (BadInputException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
