package dev.bastion.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;

/** What Schema.parse promises for any input; shared by the fuzz test and its seeded twin. */
final class SchemaInvariants {
  static final String WHERE = "fuzz.json";

  private SchemaInvariants() {}

  static void assertParsesOrRefuses(byte[] bytes) {
    Schema s;
    try {
      s = Schema.parse(bytes, WHERE);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith(WHERE + ": ");
      return;
    }
    assertThat(s.name()).isNotNull();
    assertThat(s.columns()).isNotEmpty();
    assertThat(s.columns().stream().map(Schema.Column::name)).doesNotHaveDuplicates();
    assertThat(s.column(s.label())).isPresent();
    assertThat(s.minRows()).isBetween(0L, s.maxRows());
    assertThat(s.digest()).isEqualTo(Digest.of(bytes));
    for (Schema.Column c : s.columns()) {
      assertThat(c.min() > c.max()).as("min above max in %s", c).isFalse();
      if (c.type() == Schema.Type.CATEGORICAL) {
        assertThat(c.values()).as("values of %s", c.name()).isNotEmpty();
      }
    }
  }
}
