// The size probe: the smallest Angular app that uses only `boundedMap`. e2e/size-check.mjs
// reads its production build's stats to count the bytes rxjs-concurrency adds to the initial bundle.
import { AsyncPipe } from '@angular/common';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { from, of, toArray } from 'rxjs';
import { boundedMap } from 'rxjs-concurrency';

@Component({
  selector: 'app-root',
  imports: [AsyncPipe],
  template: '{{ doubled$ | async }}',
})
class Probe {
  readonly doubled$ = from([1, 2, 3]).pipe(
    boundedMap((x) => of(x * 2), 2),
    toArray(),
  );
}

bootstrapApplication(Probe, { providers: [provideZonelessChangeDetection()] }).catch((error) => console.error(error));
