package dev.bastion.data.poison;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.bastion.core.BadInputException;
import dev.bastion.data.Table;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EncoderTest {
  private static Table table(String... rows) {
    List<Table.Row> out = new java.util.ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      out.add(new Table.Row(i + 2, List.of(rows[i].split(",", -1))));
    }
    return new Table("t.csv", List.of("n", "c", "src", "y"), out);
  }

  @Test
  void robustScalingOneHotAndIgnoredColumns() throws Exception {
    Table t = table("1,u,s1,a", "2,v,s1,b", "3,u,s2,a", "4,v,s2,b", "5,,s2,a", "1000,w,s1,b");
    Encoder enc = Encoder.fit(t, "y", Map.of(), Set.of("src"));
    Encoded e = enc.encode(t);
    assertThat(e.columns()).containsExactly("n", "c");
    assertThat(e.classes()).containsExactly("a", "b");
    assertThat(e.dims()).isEqualTo(4); // n, and c as u, v, w
    assertThat(e.y()).containsExactly(0, 1, 0, 1, 0, 1);
    // median 3.5, IQR 4.75 - 2.25 = 2.5
    assertThat(e.x()[0][0]).isCloseTo((1 - 3.5) / (2.5 / 1.349), within(1e-9));
    assertThat(e.x()[5][0]).isEqualTo(Encoder.CLIP);
    assertThat(e.x()[0]).containsExactly(e.x()[0][0], 1, 0, 0);
    assertThat(e.x()[4]).containsExactly(e.x()[4][0], 0, 0, 0); // missing category
  }

  @Test
  void refusesWhatItCannotUse() {
    assertThatThrownBy(() -> Encoder.fit(table("1,u,s,a"), "nope", Map.of(), Set.of()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("t.csv: no label column 'nope'");
    assertThatThrownBy(() -> Encoder.fit(table("1,u,s,a", "2,u,s,a"), "y", Map.of(), Set.of()))
        .hasMessageContaining("at least two are needed");
    assertThatThrownBy(
            () -> Encoder.fit(table("1,u,s,a", "2,u,s,b"), "y", Map.of(), Set.of())
                .encode(table("1,u,s,a", "2,u,s,")))
        .hasMessage("t.csv: row 2 (line 3): label is missing");
  }
}
