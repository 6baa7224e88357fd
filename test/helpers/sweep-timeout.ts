// The `sweeps` Jest project's hang guard (Jest 30 ignores testTimeout inside a project entry): a
// sweep's budgets are in the twin's virtual time, so its wall time only says how busy the machine is.
import { jest } from '@jest/globals';

jest.setTimeout(1_800_000);
