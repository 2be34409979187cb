package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** ARFF writing for round trips, and the invariants every read ARFF file keeps. */
final class ArffFixtures {
  private ArffFixtures() {}

  /** Writes {@code arff} back as ARFF text, every value quoted; empty cells become {@code ?}. */
  static String write(ArffReader.Arff arff) {
    StringBuilder sb = new StringBuilder("% written by ArffFixtures\n");
    sb.append("@RELATION ").append(quote(arff.relation())).append('\n');
    for (ArffReader.Attribute a : arff.attributes()) {
      sb.append("@Attribute ").append(quote(a.name())).append(' ');
      switch (a.kind()) {
        case NUMERIC -> sb.append("numeric");
        case STRING -> sb.append("string");
        case NOMINAL -> {
          sb.append('{');
          for (int i = 0; i < a.values().size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(a.values().get(i)));
          }
          sb.append('}');
        }
      }
      sb.append('\n');
    }
    sb.append("\n@data\n");
    for (Table.Row r : arff.table().rows()) {
      List<String> cells = r.cells();
      for (int i = 0; i < cells.size(); i++) {
        sb.append(i == 0 ? "" : ",");
        sb.append(cells.get(i).isEmpty() ? "?" : quote(cells.get(i)));
      }
      sb.append("\r\n");
    }
    return sb.toString();
  }

  static String quote(String v) {
    StringBuilder sb = new StringBuilder("'");
    for (char c : v.toCharArray()) {
      switch (c) {
        case '\\', '\'' -> sb.append('\\').append(c);
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('\'').toString();
  }

  /** What every accepted file satisfies, within the limits it was read with. */
  static void assertWellFormed(ArffReader.Arff a, ArffReader.Options o) {
    Table t = a.table();
    assertThat(t.columns()).hasSize(a.attributes().size()).doesNotHaveDuplicates();
    assertThat(a.attributes().size()).isBetween(1, o.maxAttributes());
    assertThat((long) t.rows().size()).isLessThanOrEqualTo(o.maxRows());
    for (Table.Row r : t.rows()) {
      assertThat(r.cells()).hasSize(t.columns().size());
      for (int i = 0; i < r.cells().size(); i++) {
        String v = r.cells().get(i);
        ArffReader.Attribute at = a.attributes().get(i);
        if (v.isEmpty()) {
          continue;
        }
        switch (at.kind()) {
          case NUMERIC -> assertThat(Numbers.parseDecimal(v)).isPresent();
          case NOMINAL -> assertThat(at.values()).contains(v);
          case STRING -> {}
        }
      }
    }
  }
}
