package dev.bastion.data;

import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The number spellings a data cell or a request field may use: plain decimal digits with an
 * optional sign, fraction and exponent. Java's own parsers accept more ({@code 1d}, {@code 0x1p-1},
 * {@code NaN}, surrounding spaces), which data must not smuggle past a schema.
 */
public final class Numbers {
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]{1,19}");
  private static final Pattern DECIMAL =
      Pattern.compile(
          "[+-]?(?:[0-9]{1,400}(?:\\.[0-9]{0,400})?|\\.[0-9]{1,400})(?:[eE][+-]?[0-9]{1,4})?");
  private static final Pattern NON_FINITE = Pattern.compile("[+-]?(?:NaN|Infinity)");

  private Numbers() {}

  /** The value of an integer cell, or empty if it is not one (or beyond 64 bits). */
  public static OptionalLong parseInteger(String s) {
    if (!INTEGER.matcher(s).matches()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Whether {@code s} spells a number that is not finite: NaN, an infinity, an overflow. */
  public static boolean isNonFinite(String s) {
    return NON_FINITE.matcher(s).matches()
        || (DECIMAL.matcher(s).matches() && !Double.isFinite(Double.parseDouble(s)));
  }

  /** The value of a finite decimal cell, or empty if it is not one. */
  public static OptionalDouble parseDecimal(String s) {
    // The regular expression's grammar, scanned by hand: this runs for every numeric field of
    // every request, several times. ("-0" gives 0, as an integer does.)
    double[] out = new double[1];
    return classify(s, out, 0) == NOT_A_NUMBER ? OptionalDouble.empty()
        : OptionalDouble.of(out[0]);
  }

  /** {@link #classify} kinds. */
  public static final int NOT_A_NUMBER = 0;

  public static final int INTEGER_KIND = 1;

  public static final int DECIMAL_KIND = 2;

  private static final double[] POWERS_OF_TEN = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  /**
   * The same grammar as {@link #parseInteger} and {@link #parseDecimal}, without regular
   * expressions, for per-cell work on large files: {@link #INTEGER_KIND} if {@code s} is an integer
   * that fits in 64 bits, {@link #DECIMAL_KIND} if it is another finite decimal, else {@link
   * #NOT_A_NUMBER}. The value goes to {@code out[at]}: exactly what {@code Double.parseDouble}
   * gives (integers as the nearest double), computed directly when that is exact (at most 18
   * significant digits and a power of ten up to 22, one correctly rounded operation).
   */
  public static int classify(String s, double[] out, int at) {
    int n = s.length();
    int i = 0;
    if (n == 0) {
      return NOT_A_NUMBER;
    }
    boolean negative = false;
    char c = s.charAt(0);
    if (c > '9') {
      return NOT_A_NUMBER; // a letter, most often: no number starts above the digits
    }
    if (c == '+' || c == '-') {
      negative = c == '-';
      i++;
    }
    long mantissa = 0;
    int significant = 0;
    int scale = 0; // the value is mantissa * 10^scale while digits fit
    boolean exact = true;
    int intStart = i;
    for (; i < n && (c = s.charAt(i)) >= '0' && c <= '9'; i++) {
      if (significant < 18) {
        mantissa = mantissa * 10 + (c - '0');
        if (mantissa != 0) {
          significant++;
        }
      } else {
        exact = false;
      }
    }
    int intDigits = i - intStart;
    int fracDigits = -1;
    if (i < n && s.charAt(i) == '.') {
      i++;
      int fracStart = i;
      for (; i < n && (c = s.charAt(i)) >= '0' && c <= '9'; i++) {
        if (significant < 18) {
          mantissa = mantissa * 10 + (c - '0');
          scale--;
          if (mantissa != 0) {
            significant++;
          }
        } else {
          exact = false;
        }
      }
      fracDigits = i - fracStart;
    }
    if ((intDigits == 0 && fracDigits <= 0) || intDigits > 400 || fracDigits > 400) {
      return NOT_A_NUMBER;
    }
    boolean hasExponent = false;
    if (i < n && ((c = s.charAt(i)) == 'e' || c == 'E')) {
      hasExponent = true;
      i++;
      boolean expNegative = false;
      if (i < n && ((c = s.charAt(i)) == '+' || c == '-')) {
        expNegative = c == '-';
        i++;
      }
      int expStart = i;
      int exp = 0;
      for (; i < n && (c = s.charAt(i)) >= '0' && c <= '9'; i++) {
        exp = exp * 10 + (c - '0');
        if (i - expStart >= 4) {
          return NOT_A_NUMBER;
        }
      }
      if (i == expStart) {
        return NOT_A_NUMBER;
      }
      scale += expNegative ? -exp : exp;
    }
    if (i != n) {
      return NOT_A_NUMBER;
    }
    if (fracDigits < 0 && !hasExponent && intDigits <= 19) {
      // The integer grammar; beyond 64 bits it is still a decimal.
      if (exact) {
        out[at] = negative ? -mantissa : mantissa; // as Long.parseLong: "-0" is 0
        return INTEGER_KIND;
      }
      try {
        out[at] = Long.parseLong(s);
        return INTEGER_KIND;
      } catch (NumberFormatException e) {
        // beyond 64 bits: a decimal
      }
    }
    double v;
    if (exact && mantissa < (1L << 53) && scale >= -22 && scale <= 22) {
      v = scale >= 0 ? mantissa * POWERS_OF_TEN[scale] : mantissa / POWERS_OF_TEN[-scale];
      v = negative ? -v : v;
    } else {
      v = Double.parseDouble(s);
      if (!Double.isFinite(v)) {
        return NOT_A_NUMBER;
      }
    }
    out[at] = v;
    return DECIMAL_KIND;
  }
}
