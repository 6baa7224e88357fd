/**
 * The reset-cause flags of an STM32F4's RCC_CSR (RM0090 §7.3.21), as the twin MCU sets them. The
 * hardware sets a flag per reset source and keeps them all until software writes RMVF, so they
 * pile up over resets nobody cleared. A power-on reset sets BORRSTF too (RM0090: BORRSTF is set
 * by a POR/PDR or a BOR reset), so BORRSTF alone means a brownout that stayed above the POR.
 */
export const PORRSTF = 1 << 27;
export const BORRSTF = 1 << 25;
export const PINRSTF = 1 << 26;
export const SFTRSTF = 1 << 28;
export const IWDGRSTF = 1 << 29;

/** What reset the core: a power cut below the POR, a BOR-only brownout, the NRST pin, the NVIC (software), the independent watchdog. */
export type ResetCause = 'power-on' | 'brownout' | 'pin' | 'software' | 'watchdog';

export const RESET_FLAGS: Readonly<Record<ResetCause, number>> = {
  'power-on': PORRSTF | BORRSTF,
  brownout: BORRSTF,
  pin: PINRSTF,
  software: SFTRSTF,
  watchdog: IWDGRSTF,
};

/** The flag names set in `csr`, for transcripts and tests. */
export function resetFlagNames(csr: number): string[] {
  const names: [number, string][] = [
    [PORRSTF, 'PORRSTF'],
    [BORRSTF, 'BORRSTF'],
    [PINRSTF, 'PINRSTF'],
    [SFTRSTF, 'SFTRSTF'],
    [IWDGRSTF, 'IWDGRSTF'],
  ];
  return names.filter(([bit]) => (csr & bit) !== 0).map(([, name]) => name);
}
