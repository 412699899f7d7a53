import '@testing-library/jest-dom/jest-globals';
import { jest } from '@jest/globals';
import { configure } from '@testing-library/react';

// Two shared cores render a Backstage app slowly: wait for the screen, not for a fixed time.
configure({ asyncUtilTimeout: 15_000 });
jest.setTimeout(60_000);
