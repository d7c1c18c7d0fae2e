// autograd-dispose.test.ts — disposing tensors that a recorded graph still references: gradients
// either arrive intact (checked against closed forms) or backward throws a clear error; they are
// never silently dropped.
import t from 'tap';
import * as td from '../lib/index';

t.test('intermediates disposed by tidy still route gradients when no rule needs their storage', async (t) => {
  const x = td.tensor([1, 2, 3], { requiresGrad: true });
  const loss = td.tidy(() => x.mul(2).add(1).mul(3).sum()); // 6x + 3: intermediates are disposed
  loss.backward();
  t.same(Array.from(x.grad!.dataSync()), [6, 6, 6], 'd(sum(3(2x+1)))/dx = 6');
  loss.dispose();
  x.dispose();
});

t.test('a rule that needs a disposed tensor throws a clear error naming the op', async (t) => {
  const x = td.tensor([0.5, -1], { requiresGrad: true });
  const loss = td.tidy(() => x.exp().square().sum()); // square's rule needs exp(x), which tidy freed
  t.throws(() => loss.backward(), /backward: the backward rule of .* needs a tensor that was disposed.*tidy/);
  t.equal(x.grad, null, 'no partial gradient was written');
  loss.dispose();
  x.dispose();
});

t.test('backward inside the tidy scope still works and matches the closed form', async (t) => {
  const x = td.tensor([0.5, -1], { requiresGrad: true, dtype: 'float64' });
  td.tidy(() => x.exp().square().sum().backward()); // d/dx e^{2x} = 2 e^{2x}
  const g = Array.from(x.grad!.dataSync());
  t.ok(Math.abs(g[0] - 2 * Math.exp(1)) < 1e-12 && Math.abs(g[1] - 2 * Math.exp(-2)) < 1e-12, `grad ${g}`);
  x.dispose();
});

t.test('a disposed leaf makes backward throw instead of losing its gradient', async (t) => {
  const w = td.tensor([1, 2], { requiresGrad: true });
  const b = td.tensor([3, 4], { requiresGrad: true });
  const loss = w.add(b).sum();
  w.dispose();
  t.throws(() => loss.backward(), /leaf tensor \[2\] float32 was disposed before backward/);
  loss.dispose();
  b.dispose();
});
