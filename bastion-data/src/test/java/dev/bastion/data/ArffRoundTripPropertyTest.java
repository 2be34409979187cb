package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Seeded random ARFF files, written and read back: the same relation, attributes and cells. */
class ArffRoundTripPropertyTest {
  private static final String ALPHABET = "ab Z09,'\"\\%{}?@\t\n\r-.é€";

  private static String text(SplittableRandom rnd, int max) {
    int n = rnd.nextInt(max + 1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void roundTrips(long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    int width = 1 + rnd.nextInt(6);
    List<ArffReader.Attribute> attributes = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    while (attributes.size() < width) {
      String name = text(rnd, 8);
      if (name.isEmpty() || !names.add(name)) {
        continue;
      }
      ArffReader.Kind kind = ArffReader.Kind.values()[rnd.nextInt(3)];
      List<String> values = new ArrayList<>();
      if (kind == ArffReader.Kind.NOMINAL) {
        Set<String> v = new LinkedHashSet<>();
        int k = 1 + rnd.nextInt(5);
        while (v.size() < k) {
          v.add(text(rnd, 6) + v.size());
        }
        values.addAll(v);
      }
      attributes.add(new ArffReader.Attribute(name, kind, values));
    }
    List<Table.Row> rows = new ArrayList<>();
    int n = rnd.nextInt(30);
    for (int r = 0; r < n; r++) {
      List<String> cells = new ArrayList<>();
      for (ArffReader.Attribute a : attributes) {
        if (rnd.nextInt(10) == 0) {
          cells.add("");
          continue;
        }
        cells.add(
            switch (a.kind()) {
              case NUMERIC ->
                  rnd.nextBoolean()
                      ? Long.toString(rnd.nextLong(-1000, 1000))
                      : String.format(Locale.ROOT, "%.4e", rnd.nextDouble(-1e6, 1e6));
              case NOMINAL -> a.values().get(rnd.nextInt(a.values().size()));
              case STRING -> {
                String s = text(rnd, 10);
                yield s.isEmpty() ? "x" : s;
              }
            });
      }
      rows.add(new Table.Row(0, cells));
    }
    ArffReader.Arff written =
        new ArffReader.Arff(
            text(rnd, 10) + "r", attributes,
            new Table("t.arff", attributes.stream().map(ArffReader.Attribute::name).toList(), rows));
    ArffReader.Arff read =
        new ArffReader().read(new StringReader(ArffFixtures.write(written)), "t.arff");
    assertThat(read.relation()).isEqualTo(written.relation());
    assertThat(read.attributes()).isEqualTo(written.attributes());
    assertThat(read.table().columns()).isEqualTo(written.table().columns());
    assertThat(read.table().rows().stream().map(Table.Row::cells).toList())
        .isEqualTo(rows.stream().map(Table.Row::cells).toList());
    ArffFixtures.assertWellFormed(read, ArffReader.Options.DEFAULT);
  }
}
