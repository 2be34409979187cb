package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Numbers#classify} (and {@link Numbers#parseDecimal}, which is built on it) agrees with
 * the grammar written as a regular expression and {@code Double.parseDouble}, value for value.
 */
class NumbersClassifyTest {
  /** The decimal grammar as a regular expression: the oracle. */
  private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile(
      "[+-]?(?:[0-9]{1,400}(?:\\.[0-9]{0,400})?|\\.[0-9]{1,400})(?:[eE][+-]?[0-9]{1,4})?");

  static OptionalDouble regexDecimal(String s) {
    if (!DECIMAL.matcher(s).matches()) {
      return OptionalDouble.empty();
    }
    double d = Double.parseDouble(s);
    return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
  }
  private static final String ALPHABET = "0123456789012345+-..eE x";

  static LongStream seeds() {
    return LongStream.range(0, 20).map(i -> 0xC1A55L + i);
  }

  static String expected(String s) {
    OptionalLong i = Numbers.parseInteger(s);
    if (i.isPresent()) {
      return "integer " + (double) i.getAsLong();
    }
    OptionalDouble d = regexDecimal(s);
    return d.isPresent() ? "decimal " + d.getAsDouble() : "not a number";
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void parseDecimalAgreesWithTheOracle(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < 2000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int j = r.nextInt(25); j > 0; j--) {
        sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      }
      String s = r.nextBoolean() ? sb.toString() : Double.toString(r.nextGaussian() * 1e5);
      OptionalDouble want = regexDecimal(s);
      OptionalDouble got = Numbers.parseDecimal(s);
      assertThat(got.isPresent()).as("'%s'", s).isEqualTo(want.isPresent());
      if (want.isPresent()) {
        // Equal as numbers: "-0" is 0 either way.
        assertThat(got.getAsDouble() == want.getAsDouble()).as("'%s'", s).isTrue();
      }
    }
  }

  static String actual(String s) {
    double[] out = new double[1];
    return switch (Numbers.classify(s, out, 0)) {
      case Numbers.INTEGER_KIND -> "integer " + out[0];
      case Numbers.DECIMAL_KIND -> "decimal " + out[0];
      default -> "not a number";
    };
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void agreesWithTheRegularExpressions(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      String s = switch (r.nextInt(5)) {
        case 0 -> Double.toString(Double.longBitsToDouble(r.nextLong()));
        case 1 -> Long.toString(r.nextLong() >> r.nextInt(64));
        case 2 -> String.format(java.util.Locale.ROOT, "%." + r.nextInt(20) + "f",
            (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(30) - 10));
        default -> {
          StringBuilder sb = new StringBuilder();
          for (int j = r.nextInt(30); j > 0; j--) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
          }
          yield sb.toString();
        }
      };
      if (!expected(s).equals(actual(s))) {
        mismatches.add(s + ": expected " + expected(s) + ", got " + actual(s));
      }
    }
    assertThat(mismatches).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-", "+", ".", "1.", ".5", "-0", "-0.0", "007", "1e", "1e+",
      "1e10000", "1e9999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "123456789012345678901234567890", "0.1", "1E-5", "1e-0005", "4.9e-324", "1.7976931348623157e308",
      "2.2250738585072014E-308", "NaN", "Infinity", " 1", "1 ", "0x10", "1d", "1_0",
      "0.30000000000000004", "9007199254740993", "900719925474099.3"})
  void edgeCases(String s) {
    assertThat(actual(s)).isEqualTo(expected(s));
  }
}
