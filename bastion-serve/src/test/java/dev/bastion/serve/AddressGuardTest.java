package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AddressGuardTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AddressGuard guard = new AddressGuard(3, now::get);

  private static InetAddress ip(int last) throws Exception {
    return InetAddress.getByAddress(new byte[] {10, 0, (byte) (last >> 8), (byte) last});
  }

  private void advance(java.time.Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void anAddressIsBannedOnlyPastTheLimitWithinAWindow() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(guard.failed(ip(1))).isEmpty();
    }
    assertThat(guard.refuse(ip(1))).isFalse();
    assertThat(guard.failed(ip(1))).contains(new AddressGuard.Ban(ip(1), 4));
    assertThat(guard.refuse(ip(1))).isTrue();
    assertThat(guard.refuse(ip(2))).isFalse(); // another address is not touched
    assertThat(guard.failed(ip(1))).isEmpty(); // one ban, one entry
  }

  @Test
  void failuresSpreadOverWindowsAreNotBanned() throws Exception {
    for (int w = 0; w < 5; w++) {
      for (int i = 0; i < 3; i++) {
        assertThat(guard.failed(ip(1))).isEmpty();
      }
      advance(AddressGuard.WINDOW);
    }
    assertThat(guard.refuse(ip(1))).isFalse();
  }

  @Test
  void aBanEndsAndSaysWhatItRefused() throws Exception {
    for (int i = 0; i < 4; i++) {
      guard.failed(ip(1));
    }
    for (int i = 0; i < 7; i++) {
      assertThat(guard.refuse(ip(1))).isTrue();
    }
    assertThat(guard.ended(false)).isEmpty();
    advance(AddressGuard.BAN.minusNanos(1));
    assertThat(guard.refuse(ip(1))).isTrue();
    advance(java.time.Duration.ofNanos(1));
    assertThat(guard.refuse(ip(1))).isFalse();
    assertThat(guard.ended(false)).containsExactly(new AddressGuard.Ended(ip(1), 8));
    assertThat(guard.ended(false)).isEmpty();
    // Forgotten: the address starts afresh.
    assertThat(guard.failed(ip(1))).isEmpty();
  }

  @Test
  void atShutdownEveryBanIsTold() throws Exception {
    for (int i = 0; i < 4; i++) {
      guard.failed(ip(1));
    }
    guard.refuse(ip(1));
    assertThat(guard.ended(true)).containsExactly(new AddressGuard.Ended(ip(1), 1));
  }

  @Test
  void aLimitOfZeroBansNobody() throws Exception {
    AddressGuard off = new AddressGuard(0, now::get);
    for (int i = 0; i < 1000; i++) {
      assertThat(off.failed(ip(1))).isEmpty();
    }
    assertThat(off.refuse(ip(1))).isFalse();
    assertThat(off.tracked()).isZero();
    assertThatThrownBy(() -> new AddressGuard(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTableIsBoundedAndMakesRoomFromOldWindows() throws Exception {
    for (int i = 0; i < AddressGuard.MAX_ADDRESSES; i++) {
      guard.failed(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8),
          (byte) i}));
    }
    assertThat(guard.tracked()).isEqualTo(AddressGuard.MAX_ADDRESSES);
    InetAddress late = InetAddress.getByAddress(new byte[] {11, 0, 0, 1});
    for (int i = 0; i < 10; i++) {
      assertThat(guard.failed(late)).isEmpty(); // not tracked: never banned, still on the ledger
    }
    assertThat(guard.tracked()).isEqualTo(AddressGuard.MAX_ADDRESSES);
    advance(AddressGuard.WINDOW);
    for (int i = 0; i < 3; i++) {
      assertThat(guard.failed(late)).isEmpty();
    }
    assertThat(guard.failed(late)).isPresent(); // the old windows made room
    assertThat(guard.tracked()).isEqualTo(1);
  }

  @Test
  void aBanOverButNotYetToldIsToldAndTheAddressCanBeBannedAgain() throws Exception {
    for (int i = 0; i < 4; i++) {
      guard.failed(ip(1));
    }
    guard.refuse(ip(1));
    advance(AddressGuard.BAN);
    // A failure comes before the sweep: the old ban is kept for it, the address starts afresh.
    for (int i = 0; i < 3; i++) {
      assertThat(guard.failed(ip(1))).isEmpty();
    }
    assertThat(guard.failed(ip(1))).contains(new AddressGuard.Ban(ip(1), 4));
    assertThat(guard.refuse(ip(1))).isTrue();
    assertThat(guard.ended(false)).containsExactly(new AddressGuard.Ended(ip(1), 1));
    assertThat(guard.ended(true)).containsExactly(new AddressGuard.Ended(ip(1), 1));
  }

  @Test
  void anIpv6ClientIsKeyedOnItsSlash64() throws Exception {
    InetAddress a = AddressGuard.of(new java.net.InetSocketAddress(
        InetAddress.getByName("2001:db8:1:2:aaaa::1"), 1));
    InetAddress b = AddressGuard.of(new java.net.InetSocketAddress(
        InetAddress.getByName("2001:db8:1:2:bbbb::7"), 2));
    InetAddress c = AddressGuard.of(new java.net.InetSocketAddress(
        InetAddress.getByName("2001:db8:1:3::1"), 3));
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
    assertThat(AddressGuard.describe(a)).isEqualTo("2001:db8:1:2:0:0:0:0/64");
    for (int i = 0; i < 2; i++) {
      guard.failed(a);
      guard.failed(b);
    }
    assertThat(guard.refuse(c)).isFalse();
    assertThat(guard.refuse(a)).isTrue(); // four failures from one /64: banned
    InetAddress v4 = AddressGuard.of(new java.net.InetSocketAddress(ip(9), 4));
    assertThat(v4).isEqualTo(ip(9));
    assertThat(AddressGuard.describe(v4)).isEqualTo("10.0.0.9");
  }

  @Test
  void aPeerWithoutAnIpAddressIsNeverBanned() {
    assertThat(AddressGuard.of(null)).isNull();
    assertThat(guard.failed(null)).isEmpty();
    assertThat(guard.refuse(null)).isFalse();
  }
}
