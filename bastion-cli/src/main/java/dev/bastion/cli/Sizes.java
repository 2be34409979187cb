package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import java.util.Locale;

/** Byte counts given on the command line. */
final class Sizes {
  private Sizes() {}

  /**
   * Parses a byte count with an optional binary suffix: {@code 1048576}, {@code 512K}, {@code 64M},
   * {@code 4G} (K = 1024; case-insensitive; an optional trailing {@code B} or {@code iB}).
   *
   * @param option the option's name, for the error
   * @throws BadInputException naming the option and the value, if it is not a size from {@code
   *     min} to {@code max}
   */
  static long parse(String option, String text, long min, long max) throws BadInputException {
    String t = text.strip().toUpperCase(Locale.ROOT);
    if (t.endsWith("IB")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("B") && t.length() > 1) {
      t = t.substring(0, t.length() - 1);
    }
    int shift = 0;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
    if (digits.isEmpty() || digits.length() > 15 || !digits.chars().allMatch(Character::isDigit)) {
      throw new BadInputException(
          option + " '" + abbreviate(text) + "': expected a byte count like 512M or 4G");
    }
    long n = Long.parseLong(digits);
    if (n > (max >> shift)) {
      throw new BadInputException(option + " " + abbreviate(text) + ": at most " + human(max));
    }
    long bytes = n << shift;
    if (bytes < min) {
      throw new BadInputException(option + " " + abbreviate(text) + ": at least " + human(min));
    }
    return bytes;
  }

  /** {@code n} in the largest binary unit that divides it: 1M, 1T, 4096. */
  static String human(long n) {
    String[] units = {"", "K", "M", "G", "T"};
    int u = 0;
    while (u < units.length - 1 && n >= 1024 && n % 1024 == 0) {
      n /= 1024;
      u++;
    }
    return n + units[u];
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
