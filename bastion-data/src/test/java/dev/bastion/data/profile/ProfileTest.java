package dev.bastion.data.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Profiles of the credit-g example: exact parts exact, merge, canonical JSON, drift, schema. */
class ProfileTest {
  static final Path CREDIT = Path.of("..", "examples", "credit");
  @TempDir Path tmp;

  static Table credit() throws Exception {
    return new CsvReader().read(CREDIT.resolve("credit-g.csv"));
  }

  /** Writes rows [from, to) of {@code t}, with {@code f} applied to one column. */
  Path write(Table t, int from, int to, String column, UnaryOperator<String> f, String name)
      throws Exception {
    Table part = new Table(name, t.columns(), t.rows().subList(from, to));
    if (column != null) {
      part = part.mapColumn(column, f);
    }
    return Files.write(tmp.resolve(name), part.toCsv());
  }

  /**
   * Text counts kept aside while a column has few distinct values give the summaries that adding
   * each cell gives (and so do numbers fed to their sketches in blocks): below, at and beyond the
   * frequent-items capacity, with values past its length limit, with colliding short hashes, and
   * with numbers and empty cells between them.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 127, 128, 129, 400})
  void textSummariesAreTheCellByCellOnes(int distinct) throws Exception {
    java.util.Random r = new java.util.Random(distinct);
    StringBuilder csv = new StringBuilder("t,n\n");
    var items = new dev.bastion.data.sketch.FrequentItems();
    var hll = new dev.bastion.data.sketch.HyperLogLog();
    long texts = 0;
    for (int i = 0; i < 5000; i++) {
      int k = (int) Math.min(distinct - 1, Math.abs(r.nextGaussian()) * distinct / 2);
      // Same length, first, middle and last characters: one short hash for all of them.
      String v = i % 997 == 5 ? "L" + "x".repeat(300) + k : String.format(
          java.util.Locale.ROOT, "a%03dm%03dz", k, k);
      if (i % 11 == 3) {
        v = "";
      } else if (i % 13 == 4) {
        v = Integer.toString(i);
      } else {
        items.update(v);
        hll.addHash(dev.bastion.data.sketch.Hashing.hash(v));
        texts++;
      }
      csv.append(v).append(',').append(i).append('\n');
    }
    Path f = Files.writeString(tmp.resolve("t.csv"), csv, StandardCharsets.UTF_8);
    ColumnProfile t = Profiler.profile(f, CsvReader.Options.STREAMING).column("t").orElseThrow();
    assertThat(t.texts()).isEqualTo(texts);
    assertThat(t.items()).isEqualTo(items);
    assertThat(t.items().toBytes()).isEqualTo(items.toBytes());
    var numbers = new dev.bastion.data.sketch.HyperLogLog();
    for (int i = 0; i < 5000; i++) {
      if (i % 11 != 3 && i % 13 == 4) {
        numbers.addHash(dev.bastion.data.sketch.Hashing.hash((double) i));
      }
    }
    hll.merge(numbers);
    assertThat(t.distinct()).isEqualTo(hll.estimate());
    // The numbers' quantile sketch, fed on another thread in blocks, is the one built in order.
    var kll = new dev.bastion.data.sketch.KllSketch();
    for (int i = 0; i < 5000; i++) {
      kll.update(i);
    }
    assertThat(Profiler.profile(f, CsvReader.Options.STREAMING).column("n").orElseThrow()
        .numbers().toBytes()).isEqualTo(kll.toBytes());
  }

  /**
   * Numbers fed to their sketches on another thread in many blocks (more than the blocks in
   * flight, the last one partly filled) give the sketches built cell by cell in row order.
   */
  @Test
  void numbersFedInManyBlocksGiveTheInOrderSketches() throws Exception {
    java.util.Random r = new java.util.Random(7);
    int rows = 3 * NumberFeed.BLOCKS * NumberFeed.BLOCK / 2 + 12_345;
    StringBuilder csv = new StringBuilder("x,y\n");
    var kllX = new dev.bastion.data.sketch.KllSketch();
    var kllY = new dev.bastion.data.sketch.KllSketch();
    var hllY = new dev.bastion.data.sketch.HyperLogLog();
    for (int i = 0; i < rows; i++) {
      long x = r.nextInt(1_000_000);
      double y = Math.round(r.nextGaussian() * 1e4) / 100.0;
      kllX.update(x);
      kllY.update(y);
      hllY.addHash(dev.bastion.data.sketch.Hashing.hash(y));
      csv.append(x).append(',').append(y).append('\n');
    }
    Path f = Files.writeString(tmp.resolve("n.csv"), csv, StandardCharsets.UTF_8);
    Profile p = Profiler.profile(f, CsvReader.Options.STREAMING);
    assertThat(p.column("x").orElseThrow().numbers().toBytes()).isEqualTo(kllX.toBytes());
    assertThat(p.column("y").orElseThrow().numbers().toBytes()).isEqualTo(kllY.toBytes());
    assertThat(p.column("y").orElseThrow().distinct()).isEqualTo(hllY.estimate());
  }

  @Test
  void creditProfileIsExactWhereItCanBe() throws Exception {
    Profile p = Profiler.profile(CREDIT.resolve("credit-g.csv"), CsvReader.Options.STREAMING);
    Table t = credit();
    assertThat(p.rows()).isEqualTo(1000);
    assertThat(p.columnNames()).isEqualTo(t.columns());
    ColumnProfile age = p.column("age").orElseThrow();
    int i = t.indexOf("age");
    List<Double> ages = t.rows().stream().map(r -> Double.parseDouble(r.cells().get(i))).toList();
    assertThat(age.integers()).isEqualTo(1000);
    assertThat(age.numbers().min()).isEqualTo(ages.stream().mapToDouble(d -> d).min().orElseThrow());
    assertThat(age.numbers().max()).isEqualTo(ages.stream().mapToDouble(d -> d).max().orElseThrow());
    assertThat(age.distinct()).isCloseTo(ages.stream().distinct().count(),
        org.assertj.core.data.Offset.offset(2.0));
    ColumnProfile purpose = p.column("purpose").orElseThrow();
    int j = t.indexOf("purpose");
    long radio = t.rows().stream().filter(r -> r.cells().get(j).equals("radio/tv")).count();
    assertThat(purpose.texts()).isEqualTo(1000);
    assertThat(purpose.items().estimate("radio/tv")).isEqualTo(radio);
    assertThat(purpose.items().error()).isZero();
    assertThat(p.sources()).hasSize(1);
    assertThat(p.sources().get(0).sha256())
        .isEqualTo(dev.bastion.core.Digest.of(Files.readAllBytes(CREDIT.resolve("credit-g.csv"))));
  }

  @Test
  void mergeOfPartsIsTheProfileOfTheWhole() throws Exception {
    Table t = credit();
    Path a = write(t, 0, 600, null, null, "a.csv");
    Path b = write(t, 600, 1000, null, null, "b.csv");
    Path whole = write(t, 0, 1000, null, null, "whole.csv");
    Profile merged = Profiler.profile(a, CsvReader.Options.STREAMING)
        .merge(Profiler.profile(b, CsvReader.Options.STREAMING));
    Profile direct = Profiler.profile(whole, CsvReader.Options.STREAMING);
    assertThat(merged.rows()).isEqualTo(direct.rows());
    assertThat(merged.sources()).extracting(Profile.Source::name).containsExactly("a.csv", "b.csv");
    List<String> problems = new ArrayList<>();
    for (ColumnProfile d : direct.columns()) {
      ColumnProfile m = merged.column(d.name()).orElseThrow();
      if (m.integers() != d.integers() || m.texts() != d.texts() || m.nulls() != d.nulls()) {
        problems.add(d.name() + ": counts differ");
      }
      if (m.distinct() != d.distinct()) {
        problems.add(d.name() + ": distinct estimate differs (HLL merge is exact)");
      }
      if (!d.numbers().isEmpty()) {
        if (m.numbers().min() != d.numbers().min() || m.numbers().max() != d.numbers().max()) {
          problems.add(d.name() + ": min/max differ");
        }
        for (double q = 0.05; q < 1; q += 0.05) {
          double x = d.numbers().quantile(q);
          double diff = Math.abs(m.numbers().rank(x) - d.numbers().rank(x));
          if (diff > 2 * d.numbers().rankErrorBound()) {
            problems.add(d.name() + ": rank of " + x + " differs by " + diff);
          }
        }
      }
      if (!m.items().top().equals(d.items().top())) {
        problems.add(d.name() + ": frequent items differ");
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void jsonIsCanonicalAndSelfChecking() throws Exception {
    Profile p = Profiler.profile(CREDIT.resolve("credit-g.csv"), CsvReader.Options.STREAMING);
    byte[] json = p.toJson();
    assertThat(Profile.parse(json, "p").toJson()).isEqualTo(json);
    // A readable summary that disagrees with the sketches is refused.
    ObjectNode o = (ObjectNode) Json.parse(json, "p");
    ((ObjectNode) o.get("columns").get(1).get("quantiles")).put("p50", 1.0);
    assertThatThrownBy(() -> Profile.fromJson(o, "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("p.json: ");
    ObjectNode o2 = (ObjectNode) Json.parse(json, "p");
    ((ObjectNode) o2.get("columns").get(0)).put("nulls", 1);
    assertThatThrownBy(() -> Profile.fromJson(o2, "p.json")).isInstanceOf(BadInputException.class);
  }

  @Test
  void noDriftAgainstItselfOrAResample() throws Exception {
    Table t = credit();
    Profile ref = Profiler.profile(write(t, 0, 500, null, null, "a.csv"),
        CsvReader.Options.STREAMING);
    Profile cur = Profiler.profile(write(t, 500, 1000, null, null, "b.csv"),
        CsvReader.Options.STREAMING);
    Schema schema = Schema.load(CREDIT.resolve("schema.json"));
    List<Drift.Test> self = Drift.compare(ref, ref, schema, Drift.Options.DEFAULTS);
    assertThat(self).hasSize(21).noneMatch(Drift.Test::drifted);
    assertThat(self).allMatch(x -> x.statistic() == 0);
    assertThat(Drift.compare(ref, cur, schema, Drift.Options.DEFAULTS))
        .noneMatch(Drift.Test::drifted);
  }

  @ParameterizedTest
  @ValueSource(strings = {"credit_amount", "age", "purpose", "checking_status"})
  void aShiftedColumnDriftsAndOnlyIt(String column) throws Exception {
    Table t = credit();
    Profile ref = Profiler.profile(write(t, 0, 1000, null, null, "ref.csv"),
        CsvReader.Options.STREAMING);
    UnaryOperator<String> shift = switch (column) {
      case "credit_amount" -> v -> Long.toString(Long.parseLong(v) * 3);
      case "age" -> v -> Long.toString(Long.parseLong(v) + 15);
      case "purpose" -> v -> v.equals("radio/tv") ? "new car" : v;
      default -> v -> v.equals("no checking") ? "<0" : v;
    };
    Profile cur = Profiler.profile(write(t, 0, 1000, column, shift, "cur.csv"),
        CsvReader.Options.STREAMING);
    Schema schema = Schema.load(CREDIT.resolve("schema.json"));
    List<Drift.Test> tests = Drift.compare(ref, cur, schema, Drift.Options.DEFAULTS);
    assertThat(tests.stream().filter(Drift.Test::drifted).map(Drift.Test::column))
        .containsExactly(column);
    Drift.Test d = tests.stream().filter(Drift.Test::drifted).findFirst().orElseThrow();
    assertThat(d.pValue()).isLessThanOrEqualTo(d.threshold());
    assertThat(d.test()).isEqualTo(schema.column(column).orElseThrow().numeric() ? "ks" : "chi2");
  }

  @Test
  void pValuesMatchTables() {
    assertThat(Stats.chiSquaredPValue(3.841459, 1)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(Stats.chiSquaredPValue(6.634897, 1)).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(Stats.chiSquaredPValue(18.307038, 10)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(Stats.chiSquaredPValue(1.0, 2)).isCloseTo(Math.exp(-0.5), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(Stats.chiSquaredPValue(100, 3)).isLessThan(1e-20);
    // Kolmogorov distribution: Q(1.358) ~ 0.05, Q(1.628) ~ 0.01 (large n, so lambda ~ sqrt(e) d).
    long n = 100_000_000L;
    double se = Math.sqrt(n / 2.0);
    assertThat(Stats.ksPValue(1.3581 / se, n, n)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(Stats.ksPValue(1.6276 / se, n, n)).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(Stats.ksPValue(0, 10, 10)).isEqualTo(1.0);
  }

  @Test
  void suggestedSchemaLoadsAndAcceptsItsSample() throws Exception {
    Profile p = Profiler.profile(CREDIT.resolve("credit-g.csv"), CsvReader.Options.STREAMING);
    byte[] json = Json.canonical(SchemaSuggester.suggest(p, "credit", "class"));
    Schema s = Schema.parse(json, "suggested");
    assertThat(s.label()).isEqualTo("class");
    assertThat(s.column("duration").orElseThrow().type()).isEqualTo(Schema.Type.INTEGER);
    assertThat(s.column("purpose").orElseThrow().values()).contains("radio/tv", "new car");
    assertThat(s.column("age").orElseThrow().min()).isBetween(0.0, 19.0);
    assertThat(s.minRows()).isEqualTo(500);
    var outcome = Profiler.run(CREDIT.resolve("credit-g.csv"), CsvReader.Options.STREAMING, s);
    assertThat(outcome.validation().orElseThrow().issues()).isEmpty();
    // Unclean samples are refused, naming the column.
    Path holes = Files.writeString(tmp.resolve("holes.csv"), "a,b\n1,x\n,y\n",
        StandardCharsets.UTF_8);
    Profile hp = Profiler.profile(holes, CsvReader.Options.STREAMING);
    assertThatThrownBy(() -> SchemaSuggester.suggest(hp, "h", "b"))
        .hasMessage("column 'a': 1 empty cells; suggest-schema needs a clean sample");
    assertThatThrownBy(() -> SchemaSuggester.suggest(hp, "h", "c"))
        .hasMessage("label column 'c' is not in the data");
  }

  @Test
  void suggestedRangesStayFiniteAtTheLargestNumbers() throws Exception {
    Path big = Files.writeString(tmp.resolve("big.csv"),
        "a,b,c\n1e308,1.79e308,x\n-1e308,1e308,y\n", StandardCharsets.UTF_8);
    Profile p = Profiler.profile(big, CsvReader.Options.STREAMING);
    Schema s = Schema.parse(Json.canonical(SchemaSuggester.suggest(p, "big", "c")), "big");
    // A span of 2e308 (beyond the largest double) is widened without overflowing ...
    assertThat(s.column("a").orElseThrow().min()).isEqualTo(-1.2e308);
    assertThat(s.column("a").orElseThrow().max()).isEqualTo(1.2e308);
    // ... and a bound past the largest double is the largest double.
    assertThat(s.column("b").orElseThrow().min()).isBetween(0.0, 1e308);
    assertThat(s.column("b").orElseThrow().max()).isEqualTo(Double.MAX_VALUE);
    var outcome = Profiler.run(big, CsvReader.Options.STREAMING, s);
    assertThat(outcome.validation().orElseThrow().issues()).isEmpty();
  }

  /** The reader-and-profiler modes give the one-thread answer (two threads: byte for byte). */
  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void threadedModesAgree(int threads) throws Exception {
    Path f = CREDIT.resolve("credit-g.csv");
    Schema schema = Schema.load(CREDIT.resolve("schema.json"));
    Path bad = Files.writeString(tmp.resolve("bad.csv"), "a,b\n" + "1,2\n".repeat(5000)
        + "3,\"4\n", StandardCharsets.UTF_8);
    Profiler.Outcome one = Profiler.run(f, CsvReader.Options.STREAMING, schema);
    String oneError = null;
    try {
      Profiler.profile(bad, CsvReader.Options.STREAMING);
    } catch (BadInputException e) {
      oneError = e.getMessage();
    }
    System.setProperty(Profiler.THREADS_PROPERTY, Integer.toString(threads));
    try {
      Profiler.Outcome many = Profiler.run(f, CsvReader.Options.STREAMING, schema);
      if (threads == 2) {
        assertThat(many.profile().toJson()).isEqualTo(one.profile().toJson());
      }
      assertThat(many.profile().rows()).isEqualTo(1000);
      for (ColumnProfile c : one.profile().columns()) {
        ColumnProfile m = many.profile().column(c.name()).orElseThrow();
        assertThat(m.texts()).isEqualTo(c.texts());
        assertThat(m.integers()).isEqualTo(c.integers());
        assertThat(m.distinct()).isEqualTo(c.distinct());
        assertThat(m.items().top()).isEqualTo(c.items().top());
      }
      assertThat(many.validation().orElseThrow()).isEqualTo(one.validation().orElseThrow());
      assertThatThrownBy(() -> Profiler.profile(bad, CsvReader.Options.STREAMING))
          .hasMessage(oneError);
    } finally {
      System.clearProperty(Profiler.THREADS_PROPERTY);
    }
  }

  /**
   * A file read as two halves at once: the counts, distinct counts and frequent items of the
   * one-pass profile, quantiles within the sketch's error, the same digest; an error in the second
   * half is named as a whole read names it (its row and line in the file).
   */
  @Test
  void halvesGiveTheOnePassProfile() throws Exception {
    Path f = CREDIT.resolve("credit-g.csv");
    Schema schema = Schema.load(CREDIT.resolve("schema.json"));
    Profiler.Outcome one = Profiler.run(f, CsvReader.Options.STREAMING, schema, Long.MAX_VALUE);
    Profiler.Outcome two =
        Profiler.runSplit(f, CsvReader.Options.STREAMING, schema).orElseThrow();
    assertThat(two.profile().rows()).isEqualTo(1000);
    assertThat(two.profile().sources()).isEqualTo(one.profile().sources());
    for (ColumnProfile c : one.profile().columns()) {
      ColumnProfile m = two.profile().column(c.name()).orElseThrow();
      assertThat(m.count()).isEqualTo(c.count());
      assertThat(m.nulls()).isEqualTo(c.nulls());
      assertThat(m.texts()).isEqualTo(c.texts());
      assertThat(m.integers()).isEqualTo(c.integers());
      assertThat(m.decimals()).isEqualTo(c.decimals());
      assertThat(m.distinct()).isEqualTo(c.distinct());
      assertThat(m.items().top()).isEqualTo(c.items().top());
      if (c.numeric()) {
        assertThat(m.numbers().min()).isEqualTo(c.numbers().min());
        assertThat(m.numbers().max()).isEqualTo(c.numbers().max());
        double median = c.numbers().quantile(0.5);
        double spread = c.numbers().quantile(0.6) - c.numbers().quantile(0.4);
        assertThat(Math.abs(m.numbers().quantile(0.5) - median)).isLessThanOrEqualTo(spread);
      }
    }
    assertThat(two.validation()).isEqualTo(one.validation());
    assertThat(Profiler.runSplit(f, CsvReader.Options.STREAMING, schema).orElseThrow().profile()
        .toJson()).as("the same file, the same bytes").isEqualTo(two.profile().toJson());

    String rows = "1,2\n".repeat(3000);
    Path bad = Files.writeString(tmp.resolve("bad.csv"), "a,b\n" + rows + rows + "3\n",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Profiler.run(bad, CsvReader.Options.STREAMING, null, 0))
        .hasMessage(bad + ": row 6001 (line 6002): 1 fields, the header has 2");
  }

  @Test
  void extremeValuesStayReadable() throws Exception {
    Path f = Files.writeString(tmp.resolve("tiny.csv"),
        "a,b\n1e-300,x\n-2e300,y\n0.5,z\n", StandardCharsets.UTF_8);
    Profile p = Profiler.profile(f, CsvReader.Options.STREAMING);
    Profile again = Profile.parse(p.toJson(), "p");
    assertThat(again.toJson()).isEqualTo(p.toJson());
    assertThat(again.column("a").orElseThrow().numbers().min()).isEqualTo(-2e300);
    // Drift reports with p-values far below 1e-20 parse back too.
    List<Drift.Test> t = Drift.compare(p, p, null, Drift.Options.DEFAULTS);
    byte[] report = Json.canonical(new ValidationReport("f", new dev.bastion.data.Validator.Result(
        0, 0, 0, List.of()), t, true).toJson());
    assertThat(Json.parse(report, "report").get("drift")).hasSize(2);
  }

  @Test
  void aColumnThatCannotBeComparedFailsClosed() throws Exception {
    Schema schema = Schema.parse(("{\"name\":\"s\",\"label\":\"b\",\"columns\":[{\"name\":\"a\",\"type\":"
        + "\"number\"},{\"name\":\"b\",\"type\":\"categorical\",\"values\":[\"x\",\"y\"]}]}")
        .getBytes(StandardCharsets.UTF_8), "s");
    Path good = Files.writeString(tmp.resolve("good.csv"), "a,b\n1,x\n2,y\n3,x\n",
        StandardCharsets.UTF_8);
    Path words = Files.writeString(tmp.resolve("words.csv"), "a,b\nq,x\nr,y\ns,x\n",
        StandardCharsets.UTF_8);
    Path huge = Files.writeString(tmp.resolve("huge.csv"), "a,b\n1e308,x\n-1e308,y\n0,x\n",
        StandardCharsets.UTF_8);
    Profile g = Profiler.profile(good, CsvReader.Options.STREAMING);
    Profile w = Profiler.profile(words, CsvReader.Options.STREAMING);
    Profile h = Profiler.profile(huge, CsvReader.Options.STREAMING);
    for (Profile[] pair : new Profile[][] {{w, g}, {g, w}}) {
      Drift.Test a = Drift.compare(pair[0], pair[1], schema, Drift.Options.DEFAULTS).stream()
          .filter(t -> t.column().equals("a")).findFirst().orElseThrow();
      assertThat(a.test()).isEqualTo(Drift.NOT_COMPARABLE);
      assertThat(a.drifted()).isTrue();
      assertThat(a.describe()).isEqualTo("column 'a': cannot be compared with the reference ("
          + (pair[0] == w ? "the reference" : "this data") + " holds no numbers in it); counted"
          + " as drifted");
    }
    // Without a schema too: numbers on one side, an empty column on the other.
    Path blank = Files.writeString(tmp.resolve("blank.csv"), "a,b\n,x\n,y\n,x\n",
        StandardCharsets.UTF_8);
    Profile b = Profiler.profile(blank, CsvReader.Options.STREAMING);
    assertThat(Drift.compare(g, b, null, Drift.Options.DEFAULTS).stream()
        .filter(t -> t.column().equals("a")).findFirst().orElseThrow().note())
        .isEqualTo("this data holds no values in it");
    // The consent column may rightly be empty: not failed for it.
    Schema consent = Schema.parse(("{\"name\":\"s\",\"label\":\"b\",\"columns\":["
        + "{\"name\":\"a\",\"type\":\"purposes\",\"values\":[\"1\",\"2\",\"3\"]},"
        + "{\"name\":\"b\",\"type\":\"categorical\",\"values\":[\"x\",\"y\"]}]}")
        .getBytes(StandardCharsets.UTF_8), "c");
    assertThat(Drift.compare(g, b, consent, Drift.Options.DEFAULTS))
        .noneMatch(t -> t.test().equals(Drift.NOT_COMPARABLE));
    List<Drift.Test> tests = Drift.compare(h, g, schema, Drift.Options.DEFAULTS);
    Drift.Test a = tests.stream().filter(t -> t.column().equals("a")).findFirst().orElseThrow();
    assertThat(a.test()).isEqualTo(Drift.NOT_COMPARABLE);
    assertThat(a.note()).contains("undefined");
    // In the report: numbers as JSON numbers, no statistic as null, never a string.
    var json = Json.parse(Json.canonical(new ValidationReport("f",
        new dev.bastion.data.Validator.Result(0, 0, 0, List.of()), tests, true).toJson()), "r");
    for (var t : json.get("drift")) {
      for (String f : new String[] {"statistic", "p_value", "threshold"}) {
        assertThat(t.get(f).isNumber() || t.get(f).isNull()).as(t + " " + f).isTrue();
      }
    }
    assertThat(json.get("drift").findValue("note").asText()).contains("undefined");
  }

  @Test
  void oneMapOfEffectsPerTest() throws Exception {
    Profile p = Profiler.profile(CREDIT.resolve("credit-g.csv"), CsvReader.Options.STREAMING);
    Drift.Test t = Drift.compare(p, p, null, Drift.Options.DEFAULTS).get(1);
    assertThat(t.effects().keySet()).containsExactly("psi", "wasserstein");
    assertThat(t.effectThresholds()).isEqualTo(Map.of("psi", 0.2, "wasserstein", 0.1));
  }
}
