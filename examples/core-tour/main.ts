// A taste of the contract every clonepool strategy meets: leases that give
// their client back at the end of an `await using` block, and typed errors.
import { Lease, type LeaseOwner, PoolExhaustedError } from '@clonepool/core';
import { TestClient } from '@clonepool/core/testing';

const master = new TestClient();
const idle = [await master.clone(), await master.clone()];
const owner: LeaseOwner<TestClient> = {
  settle(client) {
    idle.push(client);
    console.log(`client ${client.id} is back; ${idle.length} idle`);
  },
};
function reserve(): Lease<TestClient> {
  const client = idle.shift();
  if (client === undefined) throw new PoolExhaustedError(2);
  return new Lease(client, owner);
}
{
  await using a = reserve();
  await using b = reserve();
  console.log(`lent clients ${a.client.id} and ${b.client.id}`);
  try {
    reserve();
  } catch (error) {
    console.log(`a third reserve: ${(error as PoolExhaustedError).code}`);
  }
}
