/**
 * A minimal loopback server for the overhead benchmark: answers every
 * request with the same small JSON user, checks nothing. Prints its port on
 * the first line of stdout.
 *
 * @module
 */
const body = JSON.stringify({
  id: "u1",
  name: "Alice",
  email: ["alice@example.com"],
  phone: null,
  photoUrl: null,
  welcomeMessage: null,
  role: "default",
  locale: null,
  custom: {},
  createdAt: 1700000000000,
});

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen({ port }) {
      console.log(port);
    },
  },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
);
