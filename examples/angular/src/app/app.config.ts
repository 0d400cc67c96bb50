import { ApplicationConfig, provideBrowserGlobalErrorListeners, provideZonelessChangeDetection } from '@angular/core';
import { provideHttpClient, withFetch } from '@angular/common/http';
import { provideRouter } from '@angular/router';

import { routes } from './app.routes';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    // No zone.js: change detection runs on signals, the async pipe and events. (The default for
    // new Angular 21 apps; said here so the example reads the same on older lines.)
    provideZonelessChangeDetection(),
    // `withFetch()`: HttpClient aborts the fetch when its subscription is unsubscribed.
    provideHttpClient(withFetch()),
    provideRouter(routes),
  ],
};
