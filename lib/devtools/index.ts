export const devtools = 1;
