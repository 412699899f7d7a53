import { DependencyList, useEffect, useState } from 'react';

export type Load<T> =
  | { state: 'loading' }
  | { state: 'loaded'; value: T }
  | { state: 'failed'; error: Error };

/** Runs `load` when a dependency changes; an answer to an older call is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Load<T> {
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    load().then(
      value => current && setResult({ state: 'loaded', value }),
      error => current && setResult({ state: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return result;
}
